{{/*
Defaults for a module chart, in one place so a new module's chart only states what is
its own (module name, image, public paths). A module chart's values.yaml (and the
umbrella's `<module>:` block) override any of these; values.schema.json checks them.
*/}}
{{- define "mosaico-lib.values.moduleDefaults" -}}
# Image; the tag defaults to the chart's appVersion. A digest wins over the tag.
image:
  registry: ghcr.io
  repository: ""
  tag: ""
  digest: ""
  pullPolicy: IfNotPresent
imagePullSecrets: []
# Replicas when autoscaling is off (with it on, the HPA owns the count).
replicaCount: 2
# The port uvicorn listens on in the container; the Service exposes the same port.
containerPort: 8000
# Path segments under /<module> that the Ingress/HTTPRoute routes. Everything else under
# the prefix (/internal, /metrics, /healthz, /readyz) stays inside the cluster.
publicPaths: [v1, openapi.json, docs]
# Onboarding endpoint the operator calls for each tenant ({tenant} is replaced by it).
onboardingPath: ""
resources:
  requests: {cpu: 100m, memory: 192Mi}
  limits: {cpu: "1", memory: 512Mi}
podSecurityContext:
  runAsNonRoot: true
  runAsUser: 10001
  runAsGroup: 10001
  fsGroup: 10001
  seccompProfile: {type: RuntimeDefault}
containerSecurityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  privileged: false
  capabilities: {drop: [ALL]}
  seccompProfile: {type: RuntimeDefault}
# Size of the writable emptyDir mounted at /tmp (the root filesystem is read-only).
tmpSizeLimit: 64Mi
livenessProbe:
  initialDelaySeconds: 5
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 6
# Gives slow first starts (migrations) time before liveness counts.
startupProbe:
  periodSeconds: 2
  timeoutSeconds: 2
  failureThreshold: 60
readinessProbe:
  initialDelaySeconds: 2
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
# Non-secret settings, rendered into the module's ConfigMap as MOSAICO_<UPPER_SNAKE>.
config:
  logLevel: INFO
  logJson: "true"
  jwtIssuer: mosaico-identity
  jwtAudience: mosaico
# More MOSAICO_* (or any) variables: NAME: value.
extraEnv: {}
# More variables from Secrets: NAME: {name: <secret>, key: <key>}.
extraSecretEnv: {}
# Variables from Secrets the chart makes itself, each key a random value made at the
# first install and kept by upgrades and uninstalls (data encrypted with it would be
# lost with it): NAME: {name: <secret>, key: <key>}. Make the Secret yourself first to
# choose the value.
generatedSecretEnv: {}
database:
  # cnpg | external; empty follows global.database.provider.
  provider: ""
  # cnpg: run a CloudNativePG Cluster of this module's own instead of the shared one.
  dedicatedCluster: false
  instances: 1
  storageSize: 5Gi
  # external: Secret with the application DSN (urlKey) and the admin DSN (adminUrlKey);
  # empty follows global.database.external.existingSecret.
  existingSecret: ""
  urlKey: url
  adminUrlKey: adminUrl
  # The application role that owns each tenant database (the user in the app DSN);
  # empty: `app` with cnpg (CloudNativePG's owner), global.database.external.owner otherwise.
  owner: ""
  # Databases the module needs besides the tenants' (identity: identity_platform). With
  # cnpg they are declared as CloudNativePG Database objects; with an external server,
  # create them yourself, owned by `owner`.
  extraDatabases: []
autoscaling:
  enabled: true
  minReplicas: 2
  maxReplicas: 6
  targetCPUUtilizationPercentage: 70
podDisruptionBudget:
  enabled: true
  maxUnavailable: 1
service:
  type: ClusterIP
  annotations: {}
serviceAccount:
  create: true
  name: ""
  annotations: {}
  # The services never call the Kubernetes API.
  automountServiceAccountToken: false
networkPolicy:
  enabled: true
  # Pods allowed in besides the release's own mosaico pods (ingress controller,
  # operator, Prometheus). Each: namespace (name) and podLabels.
  allowFrom:
    ingressController:
      namespace: traefik
      podLabels: {app.kubernetes.io/name: traefik}
    operator:
      namespace: ""
      podLabels: {app.kubernetes.io/name: mosaico-operator}
    prometheus:
      namespace: monitoring
      podLabels: {app.kubernetes.io/name: prometheus}
metrics:
  serviceMonitor:
    enabled: true
    interval: 30s
    scrapeTimeout: 10s
    labels: {}
  prometheusRule:
    enabled: true
    labels: {}
    # 5xx share of requests over 5 minutes that fires ModuleHighErrorRate.
    errorRatio: 0.05
    # p99 latency in seconds that fires ModuleHighLatency.
    p99LatencySeconds: 1
  dashboard:
    enabled: true
    # The kube-prometheus-stack Grafana sidecar picks up ConfigMaps with this label.
    labels: {grafana_dashboard: "1"}
    annotations: {}
    folder: Mosaico
    # How many tenants the top-N panels show.
    topTenants: 10
# The cluster-scoped Module object the operator reads (database, URL, onboarding).
moduleResource:
  enabled: true
  version: ""
podAnnotations: {}
podLabels: {}
nodeSelector: {}
tolerations: []
affinity: {}
# Spread replicas over nodes by default; an empty list turns it off.
topologySpread:
  enabled: true
  maxSkew: 1
  topologyKey: kubernetes.io/hostname
terminationGracePeriodSeconds: 30
fullnameOverride: ""
global:
  database:
    provider: external
    cnpg:
      clusterName: mosaico-postgres
    external:
      existingSecret: mosaico-database
      owner: mosaico
  internalToken:
    existingSecret: ""
    key: token
  nats:
    enabled: false
    url: nats://nats:4222
  imageRegistry: ""
  imageTag: ""
{{- end -}}

{{/* A module chart's values over the defaults, as YAML (callers use fromYaml). */}}
{{- define "mosaico-lib.values.module" -}}
{{- $defaults := include "mosaico-lib.values.moduleDefaults" . | fromYaml -}}
{{- toYaml (mergeOverwrite $defaults (deepCopy .Values)) -}}
{{- end -}}
