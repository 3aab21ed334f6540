{{/*
Settings wiring: non-secret MOSAICO_* variables in a ConfigMap, secrets by reference.
*/}}

{{/* identity's in-cluster URL (its Service is named after the module). */}}
{{- define "mosaico-lib.config.identityUrl" -}}
{{- dig "identityUrl" "http://identity:8000" (.Values.global | default dict) -}}
{{- end -}}

{{/* The MOSAICO_* data of the module's ConfigMap, as YAML. */}}
{{- define "mosaico-lib.config.data" -}}
MOSAICO_IDENTITY_URL: {{ include "mosaico-lib.config.identityUrl" . | quote }}
{{ include "mosaico-lib.callers.config" . }}
{{- range $key, $value := .Values.config }}
{{ printf "MOSAICO_%s" ($key | snakecase | upper) }}: {{ $value | toString | quote }}
{{- end }}
{{- if .Values.global.nats.enabled }}
MOSAICO_NATS_URL: {{ .Values.global.nats.url | quote }}
{{- end }}
{{- range $name, $value := .Values.extraEnv }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "mosaico-lib.config.configMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}-config
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
data: {{- include "mosaico-lib.config.data" . | nindent 2 }}
{{- end -}}

{{/* Container env: settings from the ConfigMap, credentials from Secret references. */}}
{{- define "mosaico-lib.config.env" -}}
{{- $database := include "mosaico-lib.database.secretRefs" . | fromYaml -}}
envFrom:
  - configMapRef:
      name: {{ include "mosaico-lib.names.fullname" . }}-config
env:
  - name: MOSAICO_DATABASE_URL
    valueFrom:
      secretKeyRef: {name: {{ $database.app.name }}, key: {{ $database.app.key }}}
{{- range $name, $ref := merge (dict) .Values.extraSecretEnv .Values.generatedSecretEnv }}
  - name: {{ $name }}
    valueFrom:
      secretKeyRef: {name: {{ $ref.name }}, key: {{ $ref.key }}}
{{- end }}
{{- end -}}


{{/*
The Secrets behind generatedSecretEnv: one per name, a random value per key. A value
already in the cluster is kept (helm template, which cannot look, shows a new one), and
helm never deletes them: what was encrypted with a value needs that value. A Secret of
that name made by someone else is left alone and used as it is.
*/}}
{{- define "mosaico-lib.config.generatedSecrets" -}}
{{- $keys := dict -}}
{{- range $ref := .Values.generatedSecretEnv -}}
{{- $_ := set $keys $ref.name (append (get $keys $ref.name | default list) $ref.key) -}}
{{- end -}}
{{- range $name, $wanted := $keys }}
{{- $existing := lookup "v1" "Secret" $.Release.Namespace $name | default dict }}
{{- $owner := dig "metadata" "annotations" "meta.helm.sh/release-name" "" $existing }}
{{- if or (not $existing) (eq $owner $.Release.Name) }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ $name }}
  namespace: {{ $.Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" $) | nindent 4 }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  {{- range $key := $wanted | uniq | sortAlpha }}
  {{- $kept := dig "data" $key "" $existing }}
  {{ $key }}: {{ $kept | default (randAlphaNum 48 | b64enc) }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
