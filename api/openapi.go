package api

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDoc describes every route New registers. It is written by hand,
// as the contract it is, and openapi_test.go holds it to the router: every
// route and every parameter the handlers read must be in it, and the
// answers must match its schemas.
//
//go:embed openapi.json
var openAPIDoc []byte

var openAPITag = func() string {
	sum := sha256.Sum256(openAPIDoc)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}()

func (s *server) openAPI(c *gin.Context) error {
	if notModified(c, openAPITag) {
		return nil
	}
	send(c, http.StatusOK, "application/json; charset=utf-8", openAPIDoc)
	return nil
}
