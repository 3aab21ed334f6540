{{/*
Grafana dashboards: JSON files each chart ships in dashboards/, generated from code by
`make charts` (tools/chartgen/dashboards.py), as ConfigMaps the kube-prometheus-stack
Grafana sidecar loads. The dashboards' constants are set here, from the release: `job`
(the Prometheus job the panels select), `top` (metrics.dashboard.topTenants); the
namespace variable starts at the release's namespace.

Params: context (root), file (under dashboards/), job, name (object name), component,
appName (the app.kubernetes.io/name label; the module's by default).
*/}}
{{- define "mosaico-lib.monitoring.dashboardConfigMap" -}}
{{- $ctx := .context -}}
{{- $settings := $ctx.Values.metrics.dashboard -}}
{{- $dashboard := $ctx.Files.Get (printf "dashboards/%s" .file) | fromJson -}}
{{- if not $dashboard.panels -}}
{{- fail (printf "%s: dashboards/%s is missing; run make charts" $ctx.Chart.Name .file) -}}
{{- end -}}
{{- range $variable := $dashboard.templating.list -}}
{{- if eq $variable.name "job" -}}
{{- $_ := set $variable "query" $.job -}}
{{- else if and (eq $variable.name "top") $settings.topTenants -}}
{{- $_ := set $variable "query" ($settings.topTenants | toString) -}}
{{- else if eq $variable.name "namespace" -}}
{{- $_ := set $variable "current" (dict "text" $ctx.Release.Namespace "value" $ctx.Release.Namespace) -}}
{{- end -}}
{{- end -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "mosaico-lib.labels.standard" (dict "context" $ctx "component" .component "name" .appName) | nindent 4 }}
    {{- include "mosaico-lib.render.stringMap" $settings.labels | nindent 4 }}
  annotations:
    grafana_folder: {{ $settings.folder | quote }}
    {{- with $settings.annotations }}
    {{- include "mosaico-lib.render.stringMap" . | nindent 4 }}
    {{- end }}
data:
  {{ .file }}: |-
    {{- toPrettyJson $dashboard | nindent 4 }}
{{- end -}}

{{/* The module's dashboard (the same for every module, from its name). */}}
{{- define "mosaico-lib.monitoring.dashboard" -}}
{{- if .Values.metrics.dashboard.enabled }}
{{- $module := include "mosaico-lib.names.module" . -}}
{{- include "mosaico-lib.monitoring.dashboardConfigMap" (dict "context" . "component" "module" "name" (printf "%s-dashboard" (include "mosaico-lib.names.fullname" .)) "file" (printf "mosaico-%s.json" $module) "job" (include "mosaico-lib.names.fullname" .)) }}
{{- end }}
{{- end -}}
