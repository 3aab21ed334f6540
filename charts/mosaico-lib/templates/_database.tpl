{{/*
PostgreSQL: a CloudNativePG Cluster (the shared one the umbrella renders, or the
module's own) or an external server whose DSNs sit in a Secret.
*/}}

{{- define "mosaico-lib.database.provider" -}}
{{- default .Values.global.database.provider .Values.database.provider -}}
{{- end -}}

{{/* The CNPG Cluster name this module uses. */}}
{{- define "mosaico-lib.database.clusterName" -}}
{{- if .Values.database.dedicatedCluster -}}
{{- printf "%s-postgres" (include "mosaico-lib.names.fullname" .) -}}
{{- else -}}
{{- .Values.global.database.cnpg.clusterName -}}
{{- end -}}
{{- end -}}

{{/* "true" when the module reaches the shared Cluster through its Pooler. */}}
{{- define "mosaico-lib.database.pooled" -}}
{{- $pooler := dig "cnpg" "pooler" "enabled" false .Values.global.database -}}
{{- and $pooler (eq (include "mosaico-lib.database.provider" .) "cnpg") (not .Values.database.dedicatedCluster) -}}
{{- end -}}

{{/* The shared Cluster's Pooler: its name, and its Service as host:port. */}}
{{- define "mosaico-lib.database.poolerName" -}}
{{- printf "%s-pooler-rw" .Values.global.database.cnpg.clusterName | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "mosaico-lib.database.poolerHost" -}}
{{- printf "%s.%s.svc:5432" (include "mosaico-lib.database.poolerName" .) .Release.Namespace -}}
{{- end -}}

{{/* The role the operator provisions with: CREATEDB and CREATEROLE, no superuser. */}}
{{- define "mosaico-lib.database.operatorRole" -}}mosaico_operator{{- end -}}

{{/* A cnpg role's Secret: <cluster>-<role> (hyphens for underscores). Params: cluster, role. */}}
{{- define "mosaico-lib.database.roleSecretName" -}}
{{- printf "%s-%s" .cluster (.role | replace "_" "-") | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The module's own role with cnpg: database.owner, else the module's name. */}}
{{- define "mosaico-lib.database.cnpgRole" -}}
{{- default (include "mosaico-lib.names.module" .) .Values.database.owner -}}
{{- end -}}

{{/* app and admin Secret references (name, key) as YAML. */}}
{{- define "mosaico-lib.database.secretRefs" -}}
{{- $provider := include "mosaico-lib.database.provider" . -}}
{{- if eq $provider "cnpg" -}}
{{- $cluster := include "mosaico-lib.database.clusterName" . -}}
{{- $app := include "mosaico-lib.database.roleSecretName" (dict "cluster" $cluster "role" (include "mosaico-lib.database.cnpgRole" .)) -}}
{{- $admin := include "mosaico-lib.database.roleSecretName" (dict "cluster" $cluster "role" (include "mosaico-lib.database.operatorRole" .)) -}}
{{/* The module's own role and the operator's, each in a Secret of its own (roleSecret). */}}
app: {name: {{ include "mosaico-lib.secrets.name" (dict "context" . "name" $app) }}, key: uri}
owner: {{ include "mosaico-lib.database.cnpgRole" . }}
admin: {name: {{ include "mosaico-lib.secrets.name" (dict "context" . "name" $admin) }}, key: uri}
{{- else if eq $provider "external" -}}
{{- $secret := default .Values.global.database.external.existingSecret .Values.database.existingSecret -}}
app: {name: {{ required "database.existingSecret (or global.database.external.existingSecret) is required" $secret }}, key: {{ .Values.database.urlKey }}}
admin: {name: {{ $secret }}, key: {{ .Values.database.adminUrlKey }}}
owner: {{ default .Values.global.database.external.owner .Values.database.owner | default "mosaico" }}
{{- else -}}
{{- fail (printf "database provider must be cnpg or external, not %q" $provider) -}}
{{- end -}}
{{- end -}}

{{/*
A CloudNativePG Cluster. Params: context (root), name, instances, storageSize, labels,
roles (the module roles using it). No superuser access: each module logs in as its own
role (owner of its databases, nothing more) and the operator as mosaico_operator, which
may create databases and roles and is a member of every module role, so it may create,
dump and drop their databases.
*/}}
{{- define "mosaico-lib.database.cnpgCluster" -}}
{{- $ctx := .context -}}
{{- $cluster := .name -}}
{{- $operator := include "mosaico-lib.database.operatorRole" $ctx -}}
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {{ $cluster }}
  namespace: {{ $ctx.Release.Namespace }}
  labels: {{- .labels | nindent 4 }}
spec:
  instances: {{ .instances }}
  enableSuperuserAccess: false
  bootstrap:
    initdb:
      database: app
      owner: app
  managed:
    roles:
      {{- range $role := .roles | uniq | sortAlpha }}
      - name: {{ $role }}
        ensure: present
        login: true
        superuser: false
        createdb: false
        createrole: false
        passwordSecret:
          name: {{ include "mosaico-lib.secrets.name" (dict "context" $ctx "name" (include "mosaico-lib.database.roleSecretName" (dict "cluster" $cluster "role" $role))) }}
      {{- end }}
      - name: {{ $operator }}
        ensure: present
        login: true
        superuser: false
        createdb: true
        createrole: true
        inRoles: {{- toYaml (.roles | uniq | sortAlpha) | nindent 10 }}
        passwordSecret:
          name: {{ include "mosaico-lib.secrets.name" (dict "context" $ctx "name" (include "mosaico-lib.database.roleSecretName" (dict "cluster" $cluster "role" $operator))) }}
  storage:
    size: {{ .storageSize }}
  monitoring:
    enablePodMonitor: false
{{- range $role := append (.roles | uniq | sortAlpha) $operator }}
{{- $secret := include "mosaico-lib.database.roleSecret" (dict "context" $ctx "cluster" $cluster "role" $role) | trim }}
{{- if $secret }}
---
{{ $secret }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The Secret of one role of a cnpg Cluster, as CloudNativePG reads it (basic-auth:
username, password; labelled so a changed password reaches PostgreSQL) with the DSN the
module or the operator connects with (uri). Params: context, cluster, role.
*/}}
{{- define "mosaico-lib.database.roleSecret" -}}
{{- $fixed := dict "username" .role "host" (printf "%s-rw.%s.svc" .cluster .context.Release.Namespace) -}}
{{- include "mosaico-lib.secrets.generated" (dict "context" .context "name" (include "mosaico-lib.database.roleSecretName" .) "keys" (list "password") "type" "kubernetes.io/basic-auth" "fixed" $fixed "derive" "mosaico-lib.database.roleUri" "labels" (dict "cnpg.io/reload" "true") "component" "database" "app" .cluster) -}}
{{- end -}}

{{/* The DSN of a role's Secret, from its other keys. */}}
{{- define "mosaico-lib.database.roleUri" -}}
{{- $v := .values -}}
uri: {{ printf "postgresql://%s:%s@%s:5432/postgres" $v.username $v.password $v.host | quote }}
{{- end -}}
