{{/*
Names and labels.
*/}}
{{- define "gradient-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gradient-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gradient-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gradient-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gradient-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gradient-gateway.labels" -}}
helm.sh/chart: {{ include "gradient-gateway.chart" . }}
{{ include "gradient-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gradient-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The Secret that holds the notification shared secret: an existing one, the one this chart creates, or none.
*/}}
{{- define "gradient-gateway.notifySecretName" -}}
{{- if .Values.notifySecret.existingSecret }}
{{- .Values.notifySecret.existingSecret }}
{{- else if .Values.notifySecret.create }}
{{- printf "%s-notify" (include "gradient-gateway.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "gradient-gateway.stateClaimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-state" (include "gradient-gateway.fullname" .)) }}
{{- end }}

{{/*
Fixed paths inside the container. The image ships the default configuration in /etc/gradient-gateway (gateway.yaml,
terminology/, rules/); the chart's gateway.yaml is mounted beside it in its own directory so that it does not hide
the image's knowledge files.
*/}}
{{- define "gradient-gateway.configDir" -}}/etc/gradient-gateway/helm{{- end }}
{{- define "gradient-gateway.stateDir" -}}/var/lib/gradient-gateway{{- end }}
{{- define "gradient-gateway.notifySecretDir" -}}/run/secrets/gradient-gateway{{- end }}
{{- define "gradient-gateway.fhirTokenDir" -}}/run/secrets/gradient-gateway-fhir{{- end }}
{{- define "gradient-gateway.tlsDir" -}}/run/secrets/gradient-gateway-tls{{- end }}
{{- define "gradient-gateway.siteTerminologyDir" -}}/etc/gradient-gateway/site/terminology{{- end }}
{{- define "gradient-gateway.siteRulesDir" -}}/etc/gradient-gateway/site/rules{{- end }}

{{/*
server.public_base_url: as given, or the Service's in-cluster address (https with tls.enabled).
*/}}
{{- define "gradient-gateway.publicBaseUrl" -}}
{{- if .Values.publicBaseUrl }}
{{- .Values.publicBaseUrl | trimSuffix "/" }}
{{- else }}
{{- printf "%s://%s.%s.svc:%v" (ternary "https" "http" .Values.tls.enabled) (include "gradient-gateway.fullname" .) .Release.Namespace .Values.service.port }}
{{- end }}
{{- end }}

{{/*
The gateway.yaml the service reads: .Values.config (the keys of config/gateway.yaml) with the keys the chart owns
set on top. Rendered as YAML; fails early where the service would refuse to start.
*/}}
{{- define "gradient-gateway.configYaml" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- range $section := list "server" "fhir" "subscription" "state" "analysis" }}
{{- if not (hasKey $config $section) }}
{{- $_ := set $config $section dict }}
{{- end }}
{{- end }}
{{- $_ := set $config.server "listen_address" "0.0.0.0" }}
{{- $_ := set $config.server "public_base_url" (include "gradient-gateway.publicBaseUrl" .) }}
{{- $_ := set $config.fhir "base_url" (required "fhir.baseUrl is required (the FHIR R4 server's base URL)" .Values.fhir.baseUrl) }}
{{- if .Values.fhir.bearerTokenSecret.name }}
{{- $_ := set $config.fhir "bearer_token_file" (printf "%s/token" (include "gradient-gateway.fhirTokenDir" .)) }}
{{- end }}
{{- $_ := set $config.state "path" (printf "%s/state.db" (include "gradient-gateway.stateDir" .)) }}
{{- if .Values.tls.enabled }}
{{- $_ := required "tls.existingSecret is required when tls.enabled is true (a Secret with the certificate and key)" .Values.tls.existingSecret }}
{{- $tlsDir := include "gradient-gateway.tlsDir" . }}
{{- $_ := set $config.server "tls_cert_file" (printf "%s/tls.crt" $tlsDir) }}
{{- $_ := set $config.server "tls_key_file" (printf "%s/tls.key" $tlsDir) }}
{{- if .Values.tls.clientCaKey }}
{{- $_ := set $config.server "tls_client_ca_file" (printf "%s/ca.crt" $tlsDir) }}
{{- end }}
{{- $_ := set $config.server "plain_http" false }}
{{- end }}
{{- if include "gradient-gateway.notifySecretName" . }}
{{- $_ := set $config.subscription "secret_file" (printf "%s/notify-secret" (include "gradient-gateway.notifySecretDir" .)) }}
{{- else if (hasKey $config.subscription "manage" | ternary $config.subscription.manage true) }}
{{- fail "a notification secret is required while config.subscription.manage is true: set notifySecret.existingSecret, or notifySecret.create=true with notifySecret.value" }}
{{- end }}
{{- if .Values.knowledge.terminologyConfigMap }}
{{- $_ := set $config.analysis "terminology_dir" (include "gradient-gateway.siteTerminologyDir" .) }}
{{- end }}
{{- if .Values.knowledge.rulesConfigMap }}
{{- $_ := set $config.analysis "rules_dir" (include "gradient-gateway.siteRulesDir" .) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/*
A probe from values: with tls.enabled an httpGet probe that names no scheme gets HTTPS.
*/}}
{{- define "gradient-gateway.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if and .root.Values.tls.enabled $probe.httpGet }}
{{- if not $probe.httpGet.scheme }}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" }}
{{- end }}
{{- end }}
{{- toYaml $probe }}
{{- end }}
