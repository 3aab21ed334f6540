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
  {{- if dig "nats" "enabled" false (.Values.global | default dict) }}
  {{- include "mosaico-lib.monitoring.eventRules" . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* The event backbone's rules (outbox relay, consumers, dead letters), as a rule list.
Every replica reports the whole module's backlog and consumer state, so they are read
with max, not sum. */}}
{{- define "mosaico-lib.monitoring.eventRules" -}}
{{- $module := include "mosaico-lib.names.module" . -}}
{{- $sel := include "mosaico-lib.monitoring.selector" . -}}
{{- $events := .Values.metrics.prometheusRule.events -}}
- alert: MosaicoEventsNatsAway
  expr: |-
    min(mosaico_events_nats_connected{ {{- $sel }}}) == 0
  for: 5m
  labels: {severity: warning, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: a replica is not connected to NATS JetStream"
    description: "A {{ $module }} replica has been away from NATS for 5 minutes: its events wait in the outbox and its consumers stop; it stays ready."
- alert: MosaicoOutboxBacklog
  expr: |-
    max(mosaico_outbox_backlog{ {{- $sel }}}) > {{ $events.outboxBacklog }}
  for: 10m
  labels: {severity: warning, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: more than {{ $events.outboxBacklog }} events wait in the outbox"
    description: "{{ "{{" }} $value {{ "}}" }} {{ $module }} events have not reached JetStream for 10 minutes (all tenant databases, as of the last sweep)."
- alert: MosaicoOutboxEventsStuck
  expr: |-
    max(mosaico_outbox_oldest_unpublished_age_seconds{ {{- $sel }}}) > {{ $events.oldestUnpublishedSeconds }}
  for: 5m
  labels: {severity: critical, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: an event has waited more than {{ $events.oldestUnpublishedSeconds }}s to be published"
    description: "The oldest unpublished {{ $module }} event is {{ "{{" }} $value | humanizeDuration {{ "}}" }} old: consumers are not hearing of the module's changes."
- alert: MosaicoEventPublishFailures
  expr: |-
    sum(rate(mosaico_events_publish_failures_total{ {{- $sel }}}[5m])) > 0
  for: 10m
  labels: {severity: warning, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: publishing events to JetStream keeps failing"
    description: "{{ $module }} has failed {{ "{{" }} $value | humanize {{ "}}" }} event publishes per second for 10 minutes; the events stay in the outbox and the sweeper retries them."
- alert: MosaicoEventConsumerLagging
  expr: |-
    max by (consumer) (mosaico_events_consumer_pending{ {{- $sel }}}) > {{ $events.consumerLag }}
  for: 10m
  labels: {severity: warning, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: a consumer is more than {{ $events.consumerLag }} events behind"
    description: "{{ "{{" }} $labels.consumer {{ "}}" }} has {{ "{{" }} $value {{ "}}" }} events on the stream not yet delivered to it, for 10 minutes."
- alert: MosaicoEventRedeliveries
  expr: |-
    sum by (consumer) (rate(mosaico_events_redeliveries_total{ {{- $sel }}}[10m])) > {{ $events.redeliveriesPerSecond }}
  for: 10m
  labels: {severity: warning, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: a consumer keeps failing and retrying events"
    description: "{{ "{{" }} $labels.consumer {{ "}}" }} redelivers {{ "{{" }} $value | humanize {{ "}}" }} events per second: its handler fails or does not finish within the ack wait."
- alert: MosaicoEventDeadLetters
  expr: |-
    max(mosaico_events_dead_letter_depth{ {{- $sel }}}) > 0
    or sum(increase(mosaico_events_dead_letters_total{ {{- $sel }}}[15m])) > 0
  for: 1m
  labels: {severity: warning, module: {{ $module }}}
  annotations:
    summary: "{{ $module }}: events are in the dead-letter stream"
    description: "{{ "{{" }} $value {{ "}}" }} events {{ $module }}'s consumers gave up on wait in the dead-letter stream: inspect and replay them at /{{ $module }}/internal/dead-letters."
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
