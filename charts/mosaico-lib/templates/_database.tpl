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

{{/* app and admin Secret references (name, key) as YAML. */}}
{{- define "mosaico-lib.database.secretRefs" -}}
{{- $provider := include "mosaico-lib.database.provider" . -}}
{{- if eq $provider "cnpg" -}}
{{- $cluster := include "mosaico-lib.database.clusterName" . -}}
{{/* CNPG writes these Secrets: <cluster>-app and, with superuser access, <cluster>-superuser. */}}
app: {name: {{ printf "%s-app" $cluster }}, key: uri}
owner: {{ default "app" .Values.database.owner }}
admin: {name: {{ printf "%s-superuser" $cluster }}, key: uri}
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
A CloudNativePG Cluster. Params: context (root), name, instances, storageSize, labels.
Superuser access is on because the operator creates one database per tenant.
*/}}
{{- define "mosaico-lib.database.cnpgCluster" -}}
{{- $ctx := .context -}}
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: {{ .name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels: {{- .labels | nindent 4 }}
spec:
  instances: {{ .instances }}
  enableSuperuserAccess: true
  bootstrap:
    initdb:
      database: app
      owner: app
  storage:
    size: {{ .storageSize }}
  monitoring:
    enablePodMonitor: false
{{- end -}}
