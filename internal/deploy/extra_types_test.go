package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"google.golang.org/protobuf/encoding/protojson"
	istioapi "istio.io/api/networking/v1"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func extraTyped(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "networking.istio.io/v1/VirtualService":
		return &strictVirtualService{}, true
	case "gateway.networking.k8s.io/v1/HTTPRoute":
		return &gwv1.HTTPRoute{}, true
	case "policy.sigstore.dev/v1beta1/ClusterImagePolicy":
		return &schemaChecked{obj: &ClusterImagePolicy{}}, true
	}
	return nil, false
}

// strictVirtualService decodes Istio's VirtualService strictly: the
// client-go type's own UnmarshalJSON accepts unknown fields (its jsonpb
// unmarshaler sets AllowUnknownFields), so the spec goes through
// protojson, which rejects them.
type strictVirtualService struct {
	istionet.VirtualService
}

func (s *strictVirtualService) UnmarshalJSON(b []byte) error {
	var raw struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            json.RawMessage   `json:"spec"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	var spec istioapi.VirtualService
	if err := protojson.Unmarshal(raw.Spec, &spec); err != nil {
		return fmt.Errorf("VirtualService spec: %w", err)
	}
	s.TypeMeta, s.ObjectMeta = raw.TypeMeta, raw.Metadata
	s.Spec.Hosts, s.Spec.Http = spec.Hosts, spec.Http
	return nil
}

// schemaChecked validates a document against the ClusterImagePolicy CRD
// schema in testdata, then decodes it strictly into obj.
type schemaChecked struct {
	obj any
}

func (s *schemaChecked) UnmarshalJSON(b []byte) error {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join("testdata", "clusterimagepolicy.schema.json"))
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("ClusterImagePolicy against the CRD schema: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(s.obj)
}
