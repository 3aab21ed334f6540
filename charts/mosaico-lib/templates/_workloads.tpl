{{/* The module's image reference; global.imageRegistry/imageTag win (dev loops set them). */}}
{{- define "mosaico-lib.images.image" -}}
{{- $global := .Values.global | default dict -}}
{{- $registry := default .Values.image.registry $global.imageRegistry -}}
{{- $repository := required "image.repository is required" .Values.image.repository -}}
{{- $name := ternary $repository (printf "%s/%s" $registry $repository) (empty $registry) -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $name .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (.Values.image.tag | default $global.imageTag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "mosaico-lib.rbac.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mosaico-lib.names.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "mosaico-lib.rbac.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "mosaico-lib.rbac.serviceAccountName" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations: {{- include "mosaico-lib.render.stringMap" . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
{{- end }}
{{- end -}}

{{/* A probe on /<module>/<endpoint>. Params: context, endpoint, settings. */}}
{{- define "mosaico-lib.workloads.probe" -}}
httpGet:
  path: /{{ include "mosaico-lib.names.module" .context }}/{{ .endpoint }}
  port: http
{{ toYaml .settings }}
{{- end -}}

{{- define "mosaico-lib.workloads.deployment" -}}
{{- $module := include "mosaico-lib.names.module" . -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  selector:
    matchLabels: {{- include "mosaico-lib.labels.matchLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 8 }}
        {{- with .Values.podLabels }}
        {{- include "mosaico-lib.render.stringMap" . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include "mosaico-lib.config.data" . | sha256sum }}
        {{- with .Values.podAnnotations }}
        {{- include "mosaico-lib.render.stringMap" . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "mosaico-lib.rbac.serviceAccountName" . }}
      automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
      securityContext: {{- toYaml .Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
      {{- with .Values.imagePullSecrets }}
      imagePullSecrets: {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $module }}
          image: {{ include "mosaico-lib.images.image" . | quote }}
          imagePullPolicy: {{ .Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ .Values.containerPort }}
              protocol: TCP
          {{- include "mosaico-lib.config.env" . | nindent 10 }}
          startupProbe: {{- include "mosaico-lib.workloads.probe" (dict "context" . "endpoint" "healthz" "settings" .Values.startupProbe) | nindent 12 }}
          livenessProbe: {{- include "mosaico-lib.workloads.probe" (dict "context" . "endpoint" "healthz" "settings" .Values.livenessProbe) | nindent 12 }}
          readinessProbe: {{- include "mosaico-lib.workloads.probe" (dict "context" . "endpoint" "readyz" "settings" .Values.readinessProbe) | nindent 12 }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
          securityContext: {{- toYaml .Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- include "mosaico-lib.callers.volumeMounts" . | nindent 12 }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ .Values.tmpSizeLimit }}
        {{- include "mosaico-lib.callers.volumes" . | nindent 8 }}
      {{- if .Values.topologySpread.enabled }}
      topologySpreadConstraints:
        - maxSkew: {{ .Values.topologySpread.maxSkew }}
          topologyKey: {{ .Values.topologySpread.topologyKey }}
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels: {{- include "mosaico-lib.labels.matchLabels" . | nindent 14 }}
      {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations: {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.affinity }}
      affinity: {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{- define "mosaico-lib.network.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations: {{- include "mosaico-lib.render.stringMap" . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  selector: {{- include "mosaico-lib.labels.matchLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.containerPort }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{- define "mosaico-lib.scaling.hpa" -}}
{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "mosaico-lib.names.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .Values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{- define "mosaico-lib.scaling.podDisruptionBudget" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels: {{- include "mosaico-lib.labels.matchLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
Who may open the module's port: the release's own mosaico pods, the operator, the
ingress controller and Prometheus. A NetworkPolicy cannot filter URL paths: /internal
stays off the Ingress because the Ingress routes only `publicPaths` (see the umbrella).
*/}}
{{- define "mosaico-lib.network.networkPolicy" -}}
{{- if .Values.networkPolicy.enabled }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels: {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
spec:
  podSelector:
    matchLabels: {{- include "mosaico-lib.labels.matchLabels" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/part-of: mosaico
              app.kubernetes.io/instance: {{ .Release.Name }}
        {{- range $peer, $from := .Values.networkPolicy.allowFrom }}
        {{- if $from }}
        # {{ $peer }}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: {{ default $.Release.Namespace $from.namespace }}
          podSelector:
            matchLabels: {{- toYaml $from.podLabels | nindent 14 }}
        {{- end }}
        {{- end }}
      ports:
        - port: http
          protocol: TCP
{{- end }}
{{- end -}}
