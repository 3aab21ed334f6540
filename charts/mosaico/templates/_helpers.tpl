{{/* Labels of the umbrella's own objects. */}}
{{- define "mosaico.labels" -}}
{{ include "mosaico-lib.labels.standard" (dict "context" . "component" "platform" "name" "mosaico") }}
{{- end -}}

{{/*
The enabled module charts, as YAML: a list of {name, values}, values being what the
module chart itself renders with.
*/}}
{{- define "mosaico.modules" -}}
{{- $modules := list -}}
{{- range $name, $sub := .Subcharts -}}
{{- if $sub.Values.module -}}
{{- $modules = append $modules (dict "name" $name "values" $sub.Values) -}}
{{- end -}}
{{- end -}}
{{- toYaml $modules -}}
{{- end -}}

{{/* Traefik Middleware references for the Ingress annotation (namespace-name@kubernetescrd). */}}
{{- define "mosaico.traefik.middlewares" -}}
{{- $names := list (printf "%s-%s-body-size@kubernetescrd" .Release.Namespace .Release.Name) -}}
{{- if .Values.ingress.rateLimit.enabled -}}
{{- $names = append $names (printf "%s-%s-rate-limit@kubernetescrd" .Release.Namespace .Release.Name) -}}
{{- end -}}
{{- if .Values.ingress.cors.enabled -}}
{{- $names = append $names (printf "%s-%s-cors@kubernetescrd" .Release.Namespace .Release.Name) -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}
