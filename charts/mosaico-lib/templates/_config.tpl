{{/*
Settings wiring: non-secret MOSAICO_* variables in a ConfigMap, secrets by reference.
*/}}

{{/* The Secret holding the internal credential shared by the operator and the modules. */}}
{{- define "mosaico-lib.secrets.internalTokenName" -}}
{{- $global := .Values.global | default dict -}}
{{- default (printf "%s-internal-token" .Release.Name) (dig "internalToken" "existingSecret" "" $global) -}}
{{- end -}}

{{- define "mosaico-lib.secrets.internalTokenKey" -}}
{{- dig "internalToken" "key" "token" (.Values.global | default dict) -}}
{{- end -}}

{{/* identity's in-cluster URL (its Service is named after the module). */}}
{{- define "mosaico-lib.config.identityUrl" -}}
{{- dig "identityUrl" "http://identity:8000" (.Values.global | default dict) -}}
{{- end -}}

{{/* The MOSAICO_* data of the module's ConfigMap, as YAML. */}}
{{- define "mosaico-lib.config.data" -}}
MOSAICO_IDENTITY_URL: {{ include "mosaico-lib.config.identityUrl" . | quote }}
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
  - name: MOSAICO_INTERNAL_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ include "mosaico-lib.secrets.internalTokenName" . }}
        key: {{ include "mosaico-lib.secrets.internalTokenKey" . }}
{{- range $name, $ref := .Values.extraSecretEnv }}
  - name: {{ $name }}
    valueFrom:
      secretKeyRef: {name: {{ $ref.name }}, key: {{ $ref.key }}}
{{- end }}
{{- end -}}
