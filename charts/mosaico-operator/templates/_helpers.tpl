{{- define "mosaico-operator.name" -}}mosaico-operator{{- end -}}

{{- define "mosaico-operator.labels" -}}
{{ include "mosaico-lib.labels.standard" (dict "context" . "component" "operator" "name" (include "mosaico-operator.name" .)) }}
{{- end -}}

{{- define "mosaico-operator.matchLabels" -}}
app.kubernetes.io/name: {{ include "mosaico-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mosaico-operator.serviceAccountName" -}}
{{- default (include "mosaico-operator.name" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* identity's Service by its in-cluster name (the operator accepts no other). */}}
{{- define "mosaico-operator.identityUrl" -}}
{{- $global := .Values.global | default dict -}}
{{- dig "operatorIdentityUrl" (printf "http://identity.%s.svc:8000" .Release.Namespace) $global -}}
{{- end -}}

{{- define "mosaico-operator.image" -}}
{{- $global := .Values.global | default dict -}}
{{- $registry := default .Values.image.registry $global.imageRegistry -}}
{{- $name := ternary .Values.image.repository (printf "%s/%s" $registry .Values.image.repository) (empty $registry) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $name .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (.Values.image.tag | default $global.imageTag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/* The namespaces whose Secrets the operator watches, as JSON: the release's first,
then rbac.secretNamespaces (each has its Role in rbac.yaml). */}}
{{- define "mosaico-operator.secretNamespaces" -}}
{{- prepend (without (uniq .Values.rbac.secretNamespaces) .Release.Namespace) .Release.Namespace | toJson -}}
{{- end -}}
