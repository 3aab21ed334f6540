{{/*
Monitoring for kube-prometheus-stack: ServiceMonitor and PrometheusRule only when the
cluster serves monitoring.coreos.com/v1 (skipped cleanly otherwise), and Grafana
dashboards as ConfigMaps the Grafana sidecar loads (label grafana_dashboard: "1").
*/}}

{{- define "mosaico-lib.monitoring.available" -}}
{{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" -}}true{{- end -}}
{{- end -}}

{{- define "mosaico-lib.monitoring.serviceMonitor" -}}
{{- if and .Values.metrics.serviceMonitor.enabled (include "mosaico-lib.monitoring.available" .) }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
    {{- with .Values.metrics.serviceMonitor.labels }}
    {{- include "mosaico-lib.render.stringMap" . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels: {{- include "mosaico-lib.labels.matchLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames: [{{ .Release.Namespace }}]
  endpoints:
    - port: http
      path: /{{ include "mosaico-lib.names.module" . }}/metrics
      interval: {{ .Values.metrics.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.metrics.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end -}}

{{/* PromQL label matchers selecting one module's series, as Prometheus scrapes them. */}}
{{- define "mosaico-lib.monitoring.selector" -}}
job="{{ include "mosaico-lib.names.fullname" . }}", namespace="{{ .Release.Namespace }}"
{{- end -}}

{{/* The module's alerting rules, as a rule group (YAML). */}}
{{- define "mosaico-lib.monitoring.ruleGroup" -}}
{{- $module := include "mosaico-lib.names.module" . -}}
{{- $sel := include "mosaico-lib.monitoring.selector" . -}}
{{- $labels := dict "module" $module "namespace" .Release.Namespace -}}
name: mosaico-{{ $module }}
rules:
  - alert: MosaicoModuleHighErrorRate
    expr: |-
      sum(rate(http_requests_total{ {{- $sel }}, status="5xx"}[5m]))
        / sum(rate(http_requests_total{ {{- $sel }}}[5m]))
        > {{ .Values.metrics.prometheusRule.errorRatio }}
    for: 5m
    labels: {severity: critical, module: {{ $module }}}
    annotations:
      summary: "{{ $module }}: more than {{ mulf .Values.metrics.prometheusRule.errorRatio 100 }}% of requests fail with 5xx"
      description: "{{ "{{" }} $value | humanizePercentage {{ "}}" }} of {{ $module }} requests answered 5xx over the last 5 minutes."
  - alert: MosaicoModuleHighLatency
    expr: |-
      histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{ {{- $sel }}}[5m])))
        > {{ .Values.metrics.prometheusRule.p99LatencySeconds }}
    for: 10m
    labels: {severity: warning, module: {{ $module }}}
    annotations:
      summary: "{{ $module }}: p99 latency above {{ .Values.metrics.prometheusRule.p99LatencySeconds }}s"
      description: "p99 latency of {{ $module }} is {{ "{{" }} $value | humanizeDuration {{ "}}" }}."
  - alert: MosaicoModulePodsNotReady
    expr: |-
      kube_deployment_status_replicas_unavailable{deployment="{{ include "mosaico-lib.names.fullname" . }}", namespace="{{ .Release.Namespace }}"} > 0
    for: 10m
    labels: {severity: warning, module: {{ $module }}}
    annotations:
      summary: "{{ $module }}: pods not ready for 10 minutes"
      description: "{{ "{{" }} $value {{ "}}" }} {{ $module }} replicas are unavailable (failing /{{ $module }}/readyz or not scheduled)."
  - alert: MosaicoModuleDown
    expr: |-
      (sum(up{ {{- $sel }}}) or vector(0)) == 0
    for: 5m
    labels: {severity: critical, module: {{ $module }}}
    annotations:
      summary: "{{ $module }}: no replica is scraped"
      description: "Prometheus has reached no {{ $module }} pod for 5 minutes."
  {{- if ne $module "identity" }}
  - alert: MosaicoIdentityUnreachable
    expr: |-
      count(mosaico_dependency_up{ {{- $sel }}, dependency="identity"} == 0) > 0
    for: 5m
    labels: {severity: warning, module: {{ $module }}}
    annotations:
      summary: "{{ $module }}: pods cannot reach identity"
      description: "{{ "{{" }} $value {{ "}}" }} {{ $module }} pods have not reached identity's signing keys for 5 minutes; they stay ready and serve from cached keys and tenant status, but new tenants and rotated keys fail there."
  - alert: MosaicoCircuitBreakerOpen
    expr: |-
      max by (dependency) (mosaico_circuit_breaker_state{ {{- $sel }}}) == 2
    for: 5m
    labels: {severity: warning, module: {{ $module }}}
    annotations:
      summary: "{{ $module }}: calls to a dependency are paused"
      description: "The circuit breaker from {{ $module }} to {{ "{{" }} $labels.dependency {{ "}}" }} has been open for 5 minutes: requests that need it answer 503."
  {{- end }}
{{- end -}}

{{- define "mosaico-lib.monitoring.prometheusRule" -}}
{{- if and .Values.metrics.prometheusRule.enabled (include "mosaico-lib.monitoring.available" .) }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "mosaico-lib.names.fullname" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "mosaico-lib.labels.standard" (dict "context" .) | nindent 4 }}
    {{- with .Values.metrics.prometheusRule.labels }}
    {{- include "mosaico-lib.render.stringMap" . | nindent 4 }}
    {{- end }}
spec:
  groups:
    - {{- include "mosaico-lib.monitoring.ruleGroup" . | nindent 6 }}
{{- end }}
{{- end -}}
