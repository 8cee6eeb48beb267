package search

import (
	"strconv"
	"time"
)

// Paper is the one record papersearch keeps per paper. Its JSON names are a
// public contract: JSON-lines input, /api/papers/{id} and the CLI all use them.
type Paper struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Abstract    string   `json:"abstract"`
	Authors     []string `json:"authors"`
	AuthorCount int      `json:"author_count"`
	// Published is the earliest known publication date, YYYY-MM-DD.
	Published  string   `json:"published,omitempty"`
	Upvotes    int      `json:"upvotes"`
	Categories []string `json:"categories"`
	Topics     []string `json:"topics"`
	URL        string   `json:"url,omitempty"`
	PDFURL     string   `json:"pdf_url,omitempty"`
	Source     string   `json:"source,omitempty"`

	// Optional metadata that some sources carry.
	Updated     string   `json:"updated,omitempty"`
	Comment     string   `json:"comment,omitempty"`
	JournalRef  string   `json:"journal_ref,omitempty"`
	DOI         string   `json:"doi,omitempty"`
	NumComments int      `json:"num_comments,omitempty"`
	GitHubRepo  string   `json:"github_repo,omitempty"`
	GitHubStars int      `json:"github_stars,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
	// FeaturedOn is the day Hugging Face featured the paper, YYYY-MM-DD.
	FeaturedOn string `json:"featured_on,omitempty"`
	HFURL      string `json:"hf_url,omitempty"`
}

// Year returns the publication year, or 0 when the date is unknown.
func (p *Paper) Year() int {
	if len(p.Published) < 4 {
		return 0
	}
	y, err := strconv.Atoi(p.Published[:4])
	if err != nil {
		return 0
	}
	return y
}

// publishedTime parses Published; the zero time means unknown.
func (p *Paper) publishedTime() time.Time {
	t, err := time.Parse(time.DateOnly, p.Published)
	if err != nil {
		return time.Time{}
	}
	return t
}
