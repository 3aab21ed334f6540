{{/*
Grafana dashboards. Every module gets the same one (RED + per-tenant top-N), built
from its name, so a new module brings its dashboard by enabling metrics.dashboard.
Queries use Grafana's $namespace and $__rate_interval.
*/}}

{{/* Panels laid out left to right, 24 columns wide. Params: panels (list), y (start row). */}}
{{- define "mosaico-lib.monitoring.panels" -}}
{{- $x := 0 -}}
{{- $y := .y | default 0 -}}
{{- range $i, $panel := .panels }}
{{- $w := $panel.w | default 12 -}}
{{- $h := $panel.h | default 8 -}}
{{- if gt (add $x $w) 24 }}{{ $x = 0 }}{{ $y = add $y $h }}{{ end }}
- id: {{ add $i 1 }}
  type: {{ $panel.type | default "timeseries" }}
  title: {{ $panel.title | quote }}
  {{- with $panel.description }}
  description: {{ . | quote }}
  {{- end }}
  datasource: {type: prometheus, uid: "${datasource}"}
  gridPos: {x: {{ $x }}, "y": {{ $y }}, w: {{ $w }}, h: {{ $h }}}
  fieldConfig:
    defaults:
      unit: {{ $panel.unit | default "short" }}
      {{- if eq ($panel.type | default "timeseries") "timeseries" }}
      custom: {lineWidth: 1, fillOpacity: 10, showPoints: never}
      {{- end }}
    overrides: []
  options:
    legend: {showLegend: true, displayMode: list, placement: bottom}
    tooltip: {mode: multi, sort: desc}
    {{- if ne ($panel.type | default "timeseries") "timeseries" }}
    reduceOptions: {calcs: [lastNotNull], fields: "", values: false}
    {{- end }}
  targets:
    {{- range $j, $target := $panel.targets }}
    - refId: {{ index (list "A" "B" "C" "D" "E") $j }}
      datasource: {type: prometheus, uid: "${datasource}"}
      expr: {{ $target.expr | quote }}
      legendFormat: {{ $target.legend | default "__auto" | quote }}
      {{- if $target.instant }}
      instant: true
      range: false
      format: table
      {{- end }}
    {{- end }}
{{- $x = add $x $w -}}
{{- end }}
{{- end -}}

{{/* Dashboard variables: the Prometheus data source and the namespace. */}}
{{- define "mosaico-lib.monitoring.templating" -}}
list:
  - name: datasource
    type: datasource
    query: prometheus
    label: Data source
  - name: namespace
    type: query
    label: Namespace
    datasource: {type: prometheus, uid: "${datasource}"}
    query: {{ .namespaceQuery | quote }}
    definition: {{ .namespaceQuery | quote }}
    refresh: 2
    current: {text: {{ .namespace | quote }}, value: {{ .namespace | quote }}}
{{- end -}}

{{- define "mosaico-lib.monitoring.moduleDashboard" -}}
{{- $module := include "mosaico-lib.names.module" . -}}
{{- $job := include "mosaico-lib.names.fullname" . -}}
{{- $sel := printf "job=\"%s\", namespace=~\"$namespace\"" $job -}}
{{- $tenants := printf "module=\"%s\", namespace=~\"$namespace\"" $module -}}
{{- $top := .Values.metrics.dashboard.topTenants | int -}}
{{- $rate := "[$__rate_interval]" -}}
{{- $panels := list
  (dict "title" "Requests per second by status" "unit" "reqps" "targets" (list
    (dict "expr" (printf "sum by (status) (rate(http_requests_total{%s}%s))" $sel $rate) "legend" "{{status}}")))
  (dict "title" "Error ratio (5xx share of requests)" "unit" "percentunit" "targets" (list
    (dict "expr" (printf "(sum(rate(http_requests_total{%s, status=\"5xx\"}%s)) or vector(0)) / sum(rate(http_requests_total{%s}%s))" $sel $rate $sel $rate) "legend" "5xx")
    (dict "expr" (printf "(sum(rate(http_requests_total{%s, status=\"4xx\"}%s)) or vector(0)) / sum(rate(http_requests_total{%s}%s))" $sel $rate $sel $rate) "legend" "4xx")))
  (dict "title" "Latency (p50, p90, p99)" "unit" "s" "targets" (list
    (dict "expr" (printf "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{%s}%s)))" $sel $rate) "legend" "p50")
    (dict "expr" (printf "histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket{%s}%s)))" $sel $rate) "legend" "p90")
    (dict "expr" (printf "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{%s}%s)))" $sel $rate) "legend" "p99")))
  (dict "title" "Slowest handlers (p99)" "unit" "s" "targets" (list
    (dict "expr" (printf "topk(5, histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket{%s}%s))))" $sel $rate) "legend" "{{handler}}")))
  (dict "title" (printf "Top %d tenants by requests" $top) "unit" "reqps" "targets" (list
    (dict "expr" (printf "topk(%d, sum by (tenant) (rate(mosaico_tenant_requests_total{%s}%s)))" $top $tenants $rate) "legend" "{{tenant}}")))
  (dict "title" (printf "Top %d tenants by errors (4xx and 5xx)" $top) "unit" "reqps" "targets" (list
    (dict "expr" (printf "topk(%d, sum by (tenant, status) (rate(mosaico_tenant_requests_total{%s, status=~\"4xx|5xx\"}%s)))" $top $tenants $rate) "legend" "{{tenant}} {{status}}")))
  (dict "title" "Replicas scraped" "type" "stat" "w" 6 "unit" "short" "targets" (list
    (dict "expr" (printf "sum(up{%s})" $sel) "legend" "up")))
  (dict "title" "Replicas ready / desired" "type" "stat" "w" 6 "unit" "short" "description" "From kube-state-metrics." "targets" (list
    (dict "expr" (printf "sum(kube_deployment_status_replicas_ready{deployment=\"%s\", namespace=~\"$namespace\"})" $job) "legend" "ready")
    (dict "expr" (printf "sum(kube_deployment_spec_replicas{deployment=\"%s\", namespace=~\"$namespace\"})" $job) "legend" "desired")))
  (dict "title" "CPU per pod" "w" 6 "unit" "percentunit" "targets" (list
    (dict "expr" (printf "sum by (pod) (rate(process_cpu_seconds_total{%s}%s))" $sel $rate) "legend" "{{pod}}")))
  (dict "title" "Memory per pod" "w" 6 "unit" "bytes" "targets" (list
    (dict "expr" (printf "sum by (pod) (process_resident_memory_bytes{%s})" $sel) "legend" "{{pod}}")))
-}}
title: Mosaico / {{ $module }}
uid: mosaico-{{ $module | trunc 30 }}
description: RED metrics and per-tenant traffic of the {{ $module }} module.
tags: [mosaico, module, {{ $module }}]
editable: false
schemaVersion: 39
refresh: 30s
time: {from: now-6h, to: now}
timezone: utc
templating: {{- include "mosaico-lib.monitoring.templating" (dict "namespace" .Release.Namespace "namespaceQuery" (printf "label_values(up{job=\"%s\"}, namespace)" $job)) | nindent 2 }}
panels: {{- include "mosaico-lib.monitoring.panels" (dict "panels" $panels) | nindent 2 }}
{{- end -}}
