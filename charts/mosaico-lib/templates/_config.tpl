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
MOSAICO_DB_CONNECTION_BUDGET: {{ .Values.global.database.connectionBudget | default 20 | quote }}
{{- if eq (include "mosaico-lib.database.pooled" .) "true" }}
MOSAICO_DATABASE_HOST: {{ include "mosaico-lib.database.poolerHost" . | quote }}
MOSAICO_DB_TRANSACTION_POOLER: "true"
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
      secretKeyRef: {name: {{ include "mosaico-lib.secrets.name" (dict "context" $ "name" $ref.name) }}, key: {{ $ref.key }}}
{{- end }}
  # uvicorn honours X-Forwarded-For and -Proto only from these peers (the Ingress controller).
  - name: FORWARDED_ALLOW_IPS
    value: {{ .Values.forwardedAllowIps | quote }}
{{- end -}}


{{/*
The Secrets behind generatedSecretEnv: one per name, a random value per key, generated
once and kept (see _secrets.tpl); helm never deletes them.
*/}}
{{- define "mosaico-lib.config.generatedSecrets" -}}
{{- $keys := dict -}}
{{- range $ref := .Values.generatedSecretEnv -}}
{{- $_ := set $keys $ref.name (append (get $keys $ref.name | default list) $ref.key) -}}
{{- end -}}
{{- range $name, $wanted := $keys }}
{{- $secret := include "mosaico-lib.secrets.generated" (dict "context" $ "name" $name "keys" ($wanted | uniq | sortAlpha)) | trim }}
{{- if $secret }}
---
{{ $secret }}
{{- end }}
{{- end }}
{{- end -}}
