package deploy

func extraTyped(apiVersion, kind string) (any, bool) { return nil, false }
