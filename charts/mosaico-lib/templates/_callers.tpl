{{/*
Internal callers. Each workload proves who it is with its own ServiceAccount: callers
send a projected token whose audience names the module they call
(mosaico-internal-<module>), re-read by the service as the kubelet rotates it; the
module asks the API server (TokenReview) whose token it is and maps the ServiceAccount
to a caller name. No shared secret exists.
*/}}

{{/* Every module (mosaico_shared.contracts.tenants.MODULES), space-separated. */}}
{{- define "mosaico-lib.callers.modules" -}}
identity crm commerce finance payments notifications
{{- end -}}

{{- define "mosaico-lib.callers.tokensDir" -}}/var/run/secrets/mosaico/callers{{- end -}}

{{/* The operator's ServiceAccount user name. */}}
{{- define "mosaico-lib.callers.operatorUser" -}}
{{- $global := .Values.global | default dict -}}
{{- $namespace := dig "operator" "namespace" "" $global | default .Release.Namespace -}}
{{- printf "system:serviceaccount:%s:%s" $namespace (dig "operator" "serviceAccount" "mosaico-operator" $global) -}}
{{- end -}}

{{/*
MOSAICO_INTERNAL_CALLERS of a module, as JSON: the operator everywhere, and in identity
every module (ServiceAccounts are named after their modules) reading tenant status.
*/}}
{{- define "mosaico-lib.callers.map" -}}
{{- $callers := dict (include "mosaico-lib.callers.operatorUser" .) "operator" -}}
{{- if eq (include "mosaico-lib.names.module" .) "identity" -}}
{{- range $module := without (splitList " " (include "mosaico-lib.callers.modules" .)) "identity" -}}
{{- $_ := set $callers (printf "system:serviceaccount:%s:%s" $.Release.Namespace $module) $module -}}
{{- end -}}
{{- end -}}
{{- toJson $callers -}}
{{- end -}}

{{/* The MOSAICO_* caller settings of a module's ConfigMap. */}}
{{- define "mosaico-lib.callers.config" -}}
MOSAICO_INTERNAL_AUTH: kubernetes
MOSAICO_INTERNAL_CALLERS: {{ include "mosaico-lib.callers.map" . | quote }}
MOSAICO_INTERNAL_CALLER_CACHE_SECONDS: {{ .Values.callers.cacheSeconds | toString | quote }}
{{- if ne (include "mosaico-lib.names.module" .) "identity" }}
MOSAICO_CALLER_TOKENS_DIR: {{ include "mosaico-lib.callers.tokensDir" . | quote }}
{{- end }}
{{- end -}}

{{/*
Volumes: the pod's own API token (for TokenReview; the ServiceAccount mounts none by
itself) and, for modules that call identity, the token whose audience is identity.
*/}}
{{- define "mosaico-lib.callers.volumes" -}}
- name: kube-api-access
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: {{ .Values.callers.tokenExpirationSeconds }}
      - configMap:
          name: kube-root-ca.crt
          items: [{key: ca.crt, path: ca.crt}]
{{- if ne (include "mosaico-lib.names.module" .) "identity" }}
- name: callers
  projected:
    sources:
      - serviceAccountToken:
          path: identity
          audience: mosaico-internal-identity
          expirationSeconds: {{ .Values.callers.tokenExpirationSeconds }}
{{- end }}
{{- end -}}

{{- define "mosaico-lib.callers.volumeMounts" -}}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- if ne (include "mosaico-lib.names.module" .) "identity" }}
- name: callers
  mountPath: {{ include "mosaico-lib.callers.tokensDir" . }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* The one permission reviewing callers needs (less than system:auth-delegator). */}}
{{- define "mosaico-lib.rbac.tokenReview" -}}
{{- $name := printf "%s-%s-token-review" .Release.Namespace (include "mosaico-lib.names.fullname" .) | trunc 63 | trimSuffix "-" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ $name }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
rules:
  - apiGroups: [authentication.k8s.io]
    resources: [tokenreviews]
    verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $name }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ include "mosaico-lib.rbac.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}
