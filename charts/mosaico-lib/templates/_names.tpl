{{/*
Names and labels. A module's objects are named after the module itself (Service
`crm`, so MOSAICO_CRM_URL is http://crm:8000), as the architecture promises.
*/}}

{{/* The module name: URL prefix, Service name, database prefix, Module object name. */}}
{{- define "mosaico-lib.names.module" -}}
{{- required "module is required: the module's name (e.g. crm)" .Values.module | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the module's objects: fullnameOverride, else the module name. */}}
{{- define "mosaico-lib.names.fullname" -}}
{{- default (include "mosaico-lib.names.module" .) .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mosaico-lib.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels on every object. Params: context (root), component (module by default), name
(the app name; the module's name by default).
*/}}
{{- define "mosaico-lib.labels.standard" -}}
{{- $ctx := .context -}}
{{- $name := .name -}}
{{- if not $name }}{{ $name = include "mosaico-lib.names.module" $ctx }}{{ end -}}
app.kubernetes.io/name: {{ $name }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/part-of: mosaico
app.kubernetes.io/component: {{ .component | default "module" }}
{{- $tag := "" }}
{{- with $ctx.Values.image }}{{ $tag = .tag }}{{ end }}
app.kubernetes.io/version: {{ $tag | default $ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
helm.sh/chart: {{ include "mosaico-lib.names.chart" $ctx }}
{{- if $ctx.Values.module }}
mosaico.dev/module: {{ $ctx.Values.module }}
{{- end }}
{{- end -}}

{{/* Selector labels: name and instance only, so they never change on upgrade. */}}
{{- define "mosaico-lib.labels.matchLabels" -}}
app.kubernetes.io/name: {{ include "mosaico-lib.names.module" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* A map of labels or annotations with every value a string (as the API demands). */}}
{{- define "mosaico-lib.render.stringMap" -}}
{{- range $key, $value := . }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}
