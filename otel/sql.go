package otel

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// maxQueryText bounds db.query.text: generated IN lists can be long.
const maxQueryText = 2048

// WrapConnector returns a driver.Connector whose connections record a
// client span per statement (Exec, Query, prepared or not), following the
// [database span conventions]: the span is named after the operation
// (SELECT, INSERT, …), carries db.system.name = system ("postgresql",
// "sqlite", …) and the statement text as written, never its parameter
// values. Spans are made only inside a sampled request (a child of its
// server span); pool pings, migrations and background work make none.
// Use it with sql.OpenDB:
//
//	db := sql.OpenDB(tr.WrapConnector(stdlib.GetConnector(*pgxConfig), "postgresql"))
//
// Statements that inline values into the SQL text instead of using
// parameters would record those values: use parameters.
//
// [database span conventions]: https://opentelemetry.io/docs/specs/semconv/database/database-spans/
func (t *Tracing) WrapConnector(c driver.Connector, system string) driver.Connector {
	if !t.Enabled() {
		return c
	}
	return &connector{base: c, t: t, system: system}
}

// WrapDriver is WrapConnector for a driver and a data source name, as
// sql.Open takes them.
func (t *Tracing) WrapDriver(d driver.Driver, dsn, system string) (driver.Connector, error) {
	var c driver.Connector
	if dc, ok := d.(driver.DriverContext); ok {
		var err error
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	} else {
		c = dsnConnector{d: d, dsn: dsn}
	}
	return t.WrapConnector(c, system), nil
}

type dsnConnector struct {
	d   driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.d }

type connector struct {
	base   driver.Connector
	t      *Tracing
	system string
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &sqlConn{Conn: conn, c: c}, nil
}

func (c *connector) Driver() driver.Driver { return c.base.Driver() }

// start begins a statement span, or returns nil outside a sampled request.
func (c *connector) start(ctx context.Context, query string) (context.Context, oteltrace.Span) {
	pctx, ok := parentContext(ctx)
	if !ok || !oteltrace.SpanContextFromContext(pctx).IsSampled() {
		return ctx, nil
	}
	op := operation(query)
	text := query
	if len(text) > maxQueryText {
		text = text[:maxQueryText]
	}
	return c.t.tracer.Start(pctx, op, oteltrace.WithSpanKind(oteltrace.SpanKindClient), oteltrace.WithAttributes(
		attribute.String("db.system.name", c.system),
		attribute.String("db.operation.name", op),
		attribute.String("db.query.text", text),
	))
}

// end closes a statement span; driver.ErrSkip is not a failure (database/sql
// retries another way, which records its own span).
func end(span oteltrace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil && !errors.Is(err, driver.ErrSkip) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// operation is the statement's first keyword, upper-cased.
func operation(query string) string {
	q := strings.TrimLeft(query, " \t\r\n(")
	i := strings.IndexAny(q, " \t\r\n(;")
	if i < 0 {
		i = len(q)
	}
	if i == 0 || i > 16 {
		return "SQL"
	}
	return strings.ToUpper(q[:i])
}

// sqlConn wraps a driver connection. It implements every optional
// interface database/sql looks for, delegating to the driver's own when it
// has one and otherwise answering as database/sql would without it.
type sqlConn struct {
	driver.Conn
	c *connector
}

var (
	_ driver.ConnPrepareContext = (*sqlConn)(nil)
	_ driver.ConnBeginTx        = (*sqlConn)(nil)
	_ driver.ExecerContext      = (*sqlConn)(nil)
	_ driver.QueryerContext     = (*sqlConn)(nil)
	_ driver.Pinger             = (*sqlConn)(nil)
	_ driver.SessionResetter    = (*sqlConn)(nil)
	_ driver.Validator          = (*sqlConn)(nil)
	_ driver.NamedValueChecker  = (*sqlConn)(nil)
)

func (s *sqlConn) Prepare(query string) (driver.Stmt, error) {
	return s.PrepareContext(context.Background(), query)
}

func (s *sqlConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := s.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		if err = ctx.Err(); err == nil {
			st, err = s.Conn.Prepare(query)
		}
	}
	if err != nil {
		return nil, err
	}
	return &sqlStmt{Stmt: st, c: s.c, conn: s.Conn, query: query}, nil
}

func (s *sqlConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := s.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	if opts.Isolation != 0 || opts.ReadOnly {
		return nil, errors.New("sql: driver does not support non-default isolation level or read-only transactions")
	}
	//lint:ignore SA1019 the driver has only Begin
	return s.Conn.Begin()
}

func (s *sqlConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip // database/sql prepares instead: the statement's span
	}
	ctx, span := s.c.start(ctx, query)
	res, err := e.ExecContext(ctx, query, args)
	end(span, err)
	return res, err
}

func (s *sqlConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	ctx, span := s.c.start(ctx, query)
	rows, err := q.QueryContext(ctx, query, args)
	end(span, err)
	return rows, err
}

func (s *sqlConn) Ping(ctx context.Context) error {
	if p, ok := s.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (s *sqlConn) ResetSession(ctx context.Context) error {
	if r, ok := s.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (s *sqlConn) IsValid() bool {
	if v, ok := s.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (s *sqlConn) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := s.Conn.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip // database/sql's default conversion
}

// sqlStmt wraps a prepared statement.
type sqlStmt struct {
	driver.Stmt
	c     *connector
	conn  driver.Conn // the driver's connection, for its NamedValueChecker
	query string
}

var (
	_ driver.StmtExecContext   = (*sqlStmt)(nil)
	_ driver.StmtQueryContext  = (*sqlStmt)(nil)
	_ driver.NamedValueChecker = (*sqlStmt)(nil)
)

func (s *sqlStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	ctx, span := s.c.start(ctx, s.query)
	var res driver.Result
	var err error
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		res, err = e.ExecContext(ctx, args)
	} else {
		var vals []driver.Value
		if vals, err = values(args); err == nil {
			//lint:ignore SA1019 the driver has only Exec
			res, err = s.Stmt.Exec(vals)
		}
	}
	end(span, err)
	return res, err
}

func (s *sqlStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	ctx, span := s.c.start(ctx, s.query)
	var rows driver.Rows
	var err error
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(ctx, args)
	} else {
		var vals []driver.Value
		if vals, err = values(args); err == nil {
			//lint:ignore SA1019 the driver has only Query
			rows, err = s.Stmt.Query(vals)
		}
	}
	end(span, err)
	return rows, err
}

func (s *sqlStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	// database/sql asks the statement first and the connection only when
	// the statement has no checker; this wrapper always has one, so it
	// asks the connection itself.
	if c, ok := s.conn.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// values converts named arguments for drivers without the context
// methods, which database/sql refuses to pass names to as well.
func values(args []driver.NamedValue) ([]driver.Value, error) {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		out[i] = a.Value
	}
	return out, nil
}
