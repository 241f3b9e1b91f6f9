// Package deploy turns the facts `golocal verify` learns about a running
// service (probe paths, ports, the admin listener, metric names and the
// measured SIGTERM→exit time) into deployment artefacts that agree with
// the code: a kustomize tree (base plus one overlay per config profile),
// tiered Prometheus alert rules with promtool test cases, an Alertmanager
// routing example, a Grafana dashboard, canary routes for Istio and the
// Gateway API, and an image admission policy.
//
// Every object is built as its real Go type (k8s.io/api, the Prometheus
// Operator's, Istio's and the Gateway API's), then written as YAML with
// sigs.k8s.io/yaml. The phases are: [Discover] or [ReadFacts] (facts),
// [Generate] (typed objects → a [Tree] of files) and [Write] (into a
// folder, refusing to overwrite hand edits without [WriteOptions.Force]).
//
// To act on it: run `golocal verify ./cmd/svc --json > verify.json`, then
// call [Generate] with [Options.Facts] from [ReadFacts] and [Write] the
// tree, which is what `golocal deploy k8s` does. docs/deploy.md describes
// each file and how its values are derived.
//
// This package links the Kubernetes type modules: only the golocal tool
// imports it, never a service built with the kit.
package deploy
