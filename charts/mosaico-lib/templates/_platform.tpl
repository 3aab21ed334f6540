{{/*
The cluster-scoped Module object (mosaico.dev/v1alpha1) the operator reads: where the
module's database server admin credentials are, where the module answers, how to
onboard a tenant into it, and which version runs.
*/}}
{{- define "mosaico-lib.platform.module" -}}
{{- if .Values.moduleResource.enabled }}
{{- $module := include "mosaico-lib.names.module" . -}}
{{- $database := include "mosaico-lib.database.secretRefs" . | fromYaml -}}
apiVersion: mosaico.dev/v1alpha1
kind: Module
metadata:
  name: {{ $module }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
spec:
  database:
    adminSecretRef:
      name: {{ $database.admin.name }}
      namespace: {{ .Release.Namespace }}
      key: {{ $database.admin.key }}
    owner: {{ $database.owner }}
  serviceUrl: {{ printf "http://%s.%s.svc:%v" (include "mosaico-lib.names.fullname" .) .Release.Namespace .Values.containerPort | quote }}
  onboardingPath: {{ default (printf "/%s/internal/tenants/{tenant}/onboard" $module) .Values.onboardingPath | quote }}
  version: {{ .Values.moduleResource.version | default .Values.image.tag | default .Chart.AppVersion | quote }}
{{- end }}
{{- end -}}

{{/*
Ingress path entries for one module (for an umbrella's single Ingress): one Prefix
path per public path, so /<module>/internal, /metrics and the probes are never routed.
*/}}
{{- define "mosaico-lib.ingress.paths" -}}
{{- $module := include "mosaico-lib.names.module" . -}}
{{- range .Values.publicPaths }}
- path: /{{ $module }}/{{ . | trimPrefix "/" }}
  pathType: Prefix
  backend:
    service:
      name: {{ include "mosaico-lib.names.fullname" $ }}
      port:
        name: http
{{- end }}
{{- end -}}

{{/* The same routing as Gateway API HTTPRoute rules. */}}
{{- define "mosaico-lib.gateway.rules" -}}
{{- $module := include "mosaico-lib.names.module" . -}}
- matches:
    {{- range .Values.publicPaths }}
    - path:
        type: PathPrefix
        value: /{{ $module }}/{{ . | trimPrefix "/" }}
    {{- end }}
  backendRefs:
    - name: {{ include "mosaico-lib.names.fullname" . }}
      port: {{ .Values.containerPort }}
{{- end -}}

{{/*
The module's database objects with cnpg: its dedicated Cluster when it asks for one,
and a CloudNativePG Database for each of database.extraDatabases.
*/}}
{{- define "mosaico-lib.database.objects" -}}
{{- if eq (include "mosaico-lib.database.provider" .) "cnpg" }}
{{- $labels := include "mosaico-lib.labels.standard" (dict "context" . "component" "database") }}
{{- $cluster := include "mosaico-lib.database.clusterName" . }}
{{- if .Values.database.dedicatedCluster }}
{{ include "mosaico-lib.database.cnpgCluster" (dict "context" . "name" $cluster "instances" .Values.database.instances "storageSize" .Values.database.storageSize "labels" $labels "roles" (list (include "mosaico-lib.database.cnpgRole" .))) }}
{{- end }}
{{- $owner := (include "mosaico-lib.database.secretRefs" . | fromYaml).owner }}
{{- range .Values.database.extraDatabases }}
---
apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata:
  name: {{ printf "%s-%s" $cluster (. | replace "_" "-") | trunc 63 | trimSuffix "-" }}
  namespace: {{ $.Release.Namespace }}
  labels: {{- $labels | nindent 4 }}
spec:
  name: {{ . }}
  owner: {{ $owner }}
  cluster:
    name: {{ $cluster }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Everything a module chart renders: `{{ include "mosaico-lib.module.all" . }}` in its
templates/ is the whole chart, from the chart's own values.yaml.
*/}}
{{- define "mosaico-lib.module.all" -}}
{{- range $name := list "rbac.serviceAccount" "rbac.tokenReview" "config.configMap" "config.generatedSecrets" "workloads.deployment" "network.service" "scaling.hpa" "scaling.podDisruptionBudget" "network.networkPolicy" "monitoring.serviceMonitor" "monitoring.prometheusRule" "monitoring.dashboard" "platform.module" "database.objects" }}
{{- $rendered := include (printf "mosaico-lib.%s" $name) $ | trim }}
{{- if $rendered }}
---
{{ $rendered }}
{{- end }}
{{- end }}
{{- end -}}
