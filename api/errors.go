package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/papersearch/papersearch/search"
)

// httpError is an error with the status and code it should be sent with.
type httpError struct {
	status int
	code   string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// internalMsg is all a client learns of a failure that is ours.
const internalMsg = "internal error; it has been logged"

func errNotFound(msg string) error { return &httpError{http.StatusNotFound, "not_found", msg} }

// status maps an error to its HTTP status, code and the message a client may
// see. Anything unexpected is a 500 whose detail stays in the log.
func status(err error) (int, string, string) {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.status, he.code, he.msg
	case errors.Is(err, search.ErrBadQuery):
		return http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), search.ErrBadQuery.Error()+": ")
	case errors.Is(err, search.ErrNotFound):
		return http.StatusNotFound, "not_found", err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timeout", "the search took too long; try a narrower query"
	case errors.Is(err, context.Canceled):
		// The client went away; 499 in nginx's manner, for the log only.
		return 499, "canceled", "request canceled"
	}
	return http.StatusInternalServerError, "internal", internalMsg
}

// handlerFunc is a Gin handler that returns its error instead of writing it.
type handlerFunc func(c *gin.Context) error

// jsonHandler adapts a handlerFunc: an error becomes the JSON error shape.
func (s *server) jsonHandler(h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.writeError(c, err)
		}
	}
}

func (s *server) writeError(c *gin.Context, err error) {
	st, code, msg := status(err)
	if st >= 500 {
		s.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	} else {
		s.log.Debug("request rejected", "path", c.Request.URL.Path, "status", st, "err", err)
	}
	writeJSON(c, st, ErrorResponse{Error: ErrorBody{Code: code, Message: msg}})
	c.Abort()
}

func writeJSON(c *gin.Context, status int, v any) {
	b, err := Marshal(v)
	if err != nil {
		// Our own types always marshal; this would be a programming error.
		slog.Error("encode response", "err", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	send(c, status, "application/json; charset=utf-8", b)
}
