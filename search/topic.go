package search

import (
	"encoding/json"
	"fmt"
)

// Topic describes one facet value of the topic taxonomy.
type Topic struct {
	Slug        string `json:"slug"`
	Label       string `json:"label"`
	Description string `json:"description"`
	// Acronyms stand for the topic in queries ("GPTQ" finds papers on
	// quantization); they match with the case they are written in.
	Acronyms []string `json:"acronyms,omitempty"`
}

const (
	internalTopics       = "papersearch.topics"
	internalTaxonomyFile = "papersearch.taxonomy-file"
)

// SetTaxonomyFile records the taxonomy file the papers were tagged with,
// nil for the one built into the binary, so that a later writer given no
// file tags new papers as the others were.
func (x *Index) SetTaxonomyFile(b []byte) error {
	if x.readOnly {
		return fmt.Errorf("save taxonomy file in %s: %w", x.path, errReadOnly)
	}
	batch, err := x.newBatch()
	if err != nil {
		return err
	}
	if b == nil {
		batch.DeleteInternal([]byte(internalTaxonomyFile))
	} else {
		batch.SetInternal([]byte(internalTaxonomyFile), b)
	}
	if err := x.commit(batch, nil); err != nil {
		return fmt.Errorf("save taxonomy file: %w", err)
	}
	return nil
}

// TaxonomyFile returns the file SetTaxonomyFile recorded, or nil.
func (x *Index) TaxonomyFile() ([]byte, error) {
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	b, err := x.bi.GetInternal([]byte(internalTaxonomyFile))
	if err != nil {
		return nil, fmt.Errorf("read taxonomy file from %s: %w", x.path, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// SetTopics records the taxonomy the papers were tagged with, so that a
// server on this index shows the same labels the indexer used.
func (x *Index) SetTopics(topics []Topic) error {
	if x.readOnly {
		return fmt.Errorf("save topics in %s: %w", x.path, errReadOnly)
	}
	b, err := json.Marshal(topics)
	if err != nil {
		return fmt.Errorf("encode topics: %w", err)
	}
	batch, err := x.newBatch()
	if err != nil {
		return err
	}
	batch.SetInternal([]byte(internalTopics), b)
	if err := x.commit(batch, nil); err != nil {
		return fmt.Errorf("save topics: %w", err)
	}
	x.topics.Store(&topics)
	return nil
}

// Topics returns the taxonomy recorded by SetTopics, or nil if none was.
func (x *Index) Topics() ([]Topic, error) {
	if err := x.rlock(); err != nil {
		return nil, err
	}
	defer x.mu.RUnlock()
	return x.topicList()
}

// topicList is Topics for callers that hold the read lock.
func (x *Index) topicList() ([]Topic, error) {
	if ts := x.topics.Load(); ts != nil {
		return *ts, nil
	}
	b, err := x.bi.GetInternal([]byte(internalTopics))
	if err != nil {
		return nil, fmt.Errorf("read topics from %s: %w", x.path, err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	var ts []Topic
	if err := json.Unmarshal(b, &ts); err != nil {
		return nil, fmt.Errorf("decode topics from %s: %w", x.path, err)
	}
	x.topics.Store(&ts)
	return ts, nil
}
