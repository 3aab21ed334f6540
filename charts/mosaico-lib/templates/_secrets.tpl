{{/*
Secrets the charts generate (random values made at the first install, kept ever after):
what was encrypted or granted with a value needs that value. A value is kept by reading
it back from the cluster (lookup), so a render that cannot see the cluster (helm
template, a GitOps render) could only invent a new one and lock identity out of its
signing keys. Such a render fails instead, unless the Secret is named in
global.existingSecrets, as bitnami's common.secrets.passwords.manage does.
*/}}

{{/*
The Secret to use for one the chart would generate: the one global.existingSecrets names
for it, else its own name. Params: context (root), name.
*/}}
{{- define "mosaico-lib.secrets.name" -}}
{{- $global := .context.Values.global | default dict -}}
{{- get ($global.existingSecrets | default dict) .name | default .name -}}
{{- end -}}

{{/* "true" when the render sees the cluster (helm install/upgrade, --dry-run=server). */}}
{{- define "mosaico-lib.secrets.clusterVisible" -}}
{{- /* A list always answers with its kind from a cluster, even empty; offline, nothing. */ -}}
{{- if lookup "v1" "Secret" .Release.Namespace "" -}}true{{- end -}}
{{- end -}}

{{/*
A generated Secret, or nothing when global.existingSecrets names one for it or a Secret
of that name made by someone else exists (it is used as it is). Params: context (root),
name, keys (list), type (default Opaque), fixed (dict of keys with a set value), derive
(the name of a template given (dict "context" "values") that returns more keys as YAML),
labels (more labels), component and app (its standard labels; the module's by default).
*/}}
{{- define "mosaico-lib.secrets.generated" -}}
{{- $ctx := .context -}}
{{- $global := $ctx.Values.global | default dict -}}
{{- if not (hasKey ($global.existingSecrets | default dict) .name) }}
{{- $existing := lookup "v1" "Secret" $ctx.Release.Namespace .name | default dict }}
{{- $owner := dig "metadata" "annotations" "meta.helm.sh/release-name" "" $existing }}
{{- if or (not $existing) (eq $owner $ctx.Release.Name) }}
{{- if not (include "mosaico-lib.secrets.clusterVisible" $ctx) }}
{{- fail (printf "Secret %s (keys: %s) holds values generated once and kept, but this render cannot see the cluster (helm template or a GitOps tool), so it could only make new ones. Create the Secret yourself and name it in global.existingSecrets (%s: <your Secret>), or install with helm install/upgrade (docs/kubernetes.md, Secrets the charts generate)" .name (join ", " (concat (keys (.fixed | default dict) | sortAlpha) .keys)) .name) }}
{{- end }}
{{- $values := dict }}
{{- range $key := .keys }}
{{- $_ := set $values $key (dig "data" $key "" $existing | b64dec | default (randAlphaNum 48)) }}
{{- end }}
{{- $values = merge $values (.fixed | default dict) }}
{{- with .derive }}
{{- $values = merge $values (include . (dict "context" $ctx "values" $values) | fromYaml) }}
{{- end }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "mosaico-lib.labels.standard" (dict "context" $ctx "component" .component "name" .app) | nindent 4 }}
    {{- with .labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    helm.sh/resource-policy: keep
type: {{ .type | default "Opaque" }}
data:
  {{- range $key := keys $values | sortAlpha }}
  {{ $key }}: {{ get $values $key | b64enc }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
