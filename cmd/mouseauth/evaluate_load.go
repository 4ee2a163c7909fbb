package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
)

// loadFeatures reads a published feature file (39 features, userid last) or
// a mouseauth one (user,session,action,start, 39 features) into
// evaluate.Data. Errors name the file, line and field.
// TODO: switch to preprocess.ReadTable once it lands.
func loadFeatures(path string) (*evaluate.Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	header := strings.Split(sc.Text(), ",")
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	const nf = 39
	var userCol, first int
	switch {
	case len(header) == nf+1 && header[nf] == "userid":
		userCol, first = nf, 0
	case len(header) == nf+4 && header[0] == "user":
		userCol, first = 0, 4
	default:
		return nil, fmt.Errorf("%s line 1: header has %d columns; want 39 features and userid last, or user,session,action,start and 39 features", path, len(header))
	}
	d := &evaluate.Data{Names: header[first : first+nf]}
	for line := 2; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		fields := strings.Split(text, ",")
		if len(fields) != len(header) {
			return nil, fmt.Errorf("%s line %d: %d fields, header has %d", path, line, len(fields), len(header))
		}
		x := make([]float64, nf)
		for j := range nf {
			s := strings.TrimSpace(fields[first+j])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%s line %d field %s: %q is not a finite number", path, line, header[first+j], s)
			}
			x[j] = v
		}
		d.Users = append(d.Users, strings.TrimSpace(fields[userCol]))
		if first == 4 {
			d.Sessions = append(d.Sessions, strings.TrimSpace(fields[1]))
		}
		d.X = append(d.X, x)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(d.X) == 0 {
		return nil, fmt.Errorf("%s: no data rows", path)
	}
	return d, nil
}

// newClassifier builds a classifier by name with its parameters.
func newClassifier(name string, params map[string]any) (classify.Classifier, error) {
	return classify.New(name, params)
}
