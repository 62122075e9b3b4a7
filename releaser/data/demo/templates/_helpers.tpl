{{/*
Shared by the four section charts (core/base, core/aws, core/gcp, core/addons); each chart keeps
its own copy so it stays self-contained. Keep the copies identical (a test checks this).
*/}}

{{/*
corekit.enabledNames: the component names to render, sorted, as a JSON list.
With an `appEnabled` list (addons) only the named components render; a name that is not a
component of this section is an error, so a typo never silently drops an add-on.
Without `appEnabled` (base, aws, gcp) every component renders.
*/}}
{{- define "corekit.enabledNames" -}}
{{- $components := .Values.components | default dict -}}
{{- $names := keys $components | sortAlpha -}}
{{- if hasKey .Values "appEnabled" -}}
{{- $wanted := .Values.appEnabled | default list -}}
{{- range $wanted -}}
{{- if not (hasKey $components (toString .)) -}}
{{- fail (printf "appEnabled names %q, which is not a component of %s (known: %s)" (toString .) $.Chart.Name (join ", " $names)) -}}
{{- end -}}
{{- end -}}
{{- $picked := list -}}
{{- range $names -}}
{{- if has . $wanted -}}
{{- $picked = append $picked . -}}
{{- end -}}
{{- end -}}
{{- $names = $picked -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/*
corekit.componentValues: the values handed to one component's chart.
The kit's `global` goes under the chart's own `global` (Helm leaves `global` open even in
strict value schemas such as cert-manager's); keys the component sets under `global` win.
Customer overrides of `components.<name>.values` were already merged by Helm, since they live
in the same values tree. Then the result goes through `tpl`, so a default like
"grafana.{{ .Values.global.domain }}" gets the customer's domain. A literal "{{" meant for the
component's chart must be escaped as {{ "{{" }}.
*/}}
{{- define "corekit.componentValues" -}}
{{- $global := deepCopy (.root.Values.global | default dict) -}}
{{- $own := deepCopy (.values | default dict) -}}
{{- $merged := mergeOverwrite (dict "global" $global) $own -}}
{{- $rendered := tpl (toYaml $merged) .root | fromYaml -}}
{{- if hasKey $rendered "Error" -}}
{{- fail (printf "component %s: values do not render to YAML: %s" .name (index $rendered "Error")) -}}
{{- end -}}
{{- toYaml $rendered -}}
{{- end -}}

{{/* corekit.require: fail with a clear message when a component lacks a required key. */}}
{{- define "corekit.require" -}}
{{- range $key := list "repoURL" "chart" "version" "namespace" -}}
{{- if not (index $.component $key) -}}
{{- fail (printf "component %s: %q is required" $.name $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
