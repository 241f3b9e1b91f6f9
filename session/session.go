package session

import (
	"cmp"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
)

// KeySize is the length of every key: 32 bytes selects AES-256.
const KeySize = 32

// MaxCookieSize is the largest name+value browsers keep (RFC 6265bis §5.6
// and every engine's limit); larger cookies are silently ignored by them.
const MaxCookieSize = 4096

// formatVersion is the first byte of every sealed value, so the format can
// change later without misreading old cookies.
const formatVersion byte = 1

// ErrCookieTooLarge is returned (wrapped) by Save when the encoded cookie
// would exceed MaxCookieSize.
var ErrCookieTooLarge = errors.New("session cookie too large")

// Options configures a Manager. Keys is the only required field.
type Options struct {
	// Keys are 32-byte AES-256 keys. Keys[0] encrypts new cookies; all keys
	// decrypt, so rotating means prepending a new key and later dropping the
	// oldest. Use ParseKeys to read them from configuration.
	Keys [][]byte
	// Name is the cookie name before any prefix. Default "session".
	Name string
	// MaxAge is how long a session lives after it was last saved. Default 24h.
	MaxAge time.Duration
	// Profile is the deployment profile ("local", "dev", "staging", "prod").
	// Only local and dev drop the Secure attribute and the __Host- prefix, so
	// sessions work over plain http://localhost. Empty means prod.
	Profile string
	// Secure, when non-nil, overrides the profile's choice of the Secure
	// attribute and the __Host-/__Secure- prefix; pass
	// &cfg.SecureCookies from config.Base so the secure_cookies setting
	// decides. Turning it off outside local/dev is allowed (a TLS-terminating
	// proxy that speaks plain http to the browser is not one of them) but
	// logged as a warning, because such a cookie travels in clear text.
	Secure *bool
	// SameSite defaults to http.SameSiteLaxMode. SameSiteNoneMode is refused
	// outside a secure profile because browsers reject it without Secure.
	SameSite http.SameSite
	// Domain widens the cookie to subdomains. Leave empty unless needed: with
	// a Domain the __Host- prefix cannot be used and __Secure- is used instead.
	Domain string
	// Logger receives one line per rejected cookie. Default slog.Default().
	Logger *slog.Logger
	// Now returns the current time; tests set it. Default time.Now.
	Now func() time.Time
}

// Manager loads and saves sessions. It is safe for concurrent use.
type Manager struct {
	aeads    []cipher.AEAD
	name     string
	maxAge   time.Duration
	secure   bool
	sameSite http.SameSite
	domain   string
	logger   *slog.Logger
	now      func() time.Time
}

// New validates opts and returns a Manager.
func New(opts Options) (*Manager, error) {
	if len(opts.Keys) == 0 {
		return nil, errors.New("session: no keys: set at least one 32-byte key (generate one with `openssl rand -base64 32`)")
	}
	m := &Manager{
		name:     opts.Name,
		maxAge:   opts.MaxAge,
		sameSite: opts.SameSite,
		domain:   opts.Domain,
		logger:   opts.Logger,
		now:      opts.Now,
	}
	for i, k := range opts.Keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("session: key %d is %d bytes; keys must be exactly %d random bytes (generate one with `openssl rand -base64 32`)", i+1, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("session: key %d: %w", i+1, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("session: key %d: %w", i+1, err)
		}
		m.aeads = append(m.aeads, aead)
	}
	if m.name == "" {
		m.name = "session"
	}
	if strings.HasPrefix(m.name, "__") {
		return nil, fmt.Errorf("session: Name %q must not carry a prefix: golocal adds __Host- or __Secure- itself when the profile is secure", m.name)
	}
	if !isToken(m.name) {
		return nil, fmt.Errorf("session: Name %q is not a valid cookie name (letters, digits and !#$%%&'*+-.^_`|~ only)", m.name)
	}
	if m.maxAge == 0 {
		m.maxAge = 24 * time.Hour
	}
	if m.maxAge < 0 {
		return nil, fmt.Errorf("session: MaxAge %v is negative", m.maxAge)
	}
	if m.maxAge > 400*24*time.Hour {
		return nil, fmt.Errorf("session: MaxAge %v exceeds 400 days, which browsers cap (RFC 6265bis §5.5); use at most 400 days", m.maxAge)
	}
	switch opts.Profile {
	case "local", "dev":
		m.secure = false
	case "", "staging", "prod":
		m.secure = true
	default:
		return nil, fmt.Errorf("session: unknown Profile %q; use local, dev, staging or prod", opts.Profile)
	}
	if opts.Secure != nil {
		if m.secure && !*opts.Secure {
			cmp.Or(opts.Logger, slog.Default()).Warn("session: cookies are not marked Secure outside local/dev: they travel in clear text over http; set secure_cookies back to true unless this is a test", "profile", cmp.Or(opts.Profile, "prod"))
		}
		m.secure = *opts.Secure
	}
	if m.sameSite == 0 || m.sameSite == http.SameSiteDefaultMode {
		m.sameSite = http.SameSiteLaxMode
	}
	if m.sameSite == http.SameSiteNoneMode && !m.secure {
		return nil, fmt.Errorf("session: SameSite=None needs Secure, which profile %q (or Options.Secure) does not set; browsers reject such cookies", opts.Profile)
	}
	if m.secure {
		if m.domain == "" {
			m.name = "__Host-" + m.name
		} else {
			m.name = "__Secure-" + m.name
		}
	}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m, nil
}

// CookieName is the name the cookie is sent under, including any prefix.
func (m *Manager) CookieName() string { return m.name }

// payload is what is sealed into the cookie.
type payload struct {
	Values   map[string]string `json:"v,omitempty"`
	Flashes  []string          `json:"f,omitempty"`
	Expires  int64             `json:"e"`
	IssuedAt int64             `json:"i"`
}

// Load reads the session from r. A missing cookie gives an empty session; a
// tampered, expired or undecryptable one gives an empty session and a log line.
func (m *Manager) Load(r *http.Request) *Session {
	s := &Session{values: map[string]string{}}
	c, err := r.Cookie(m.name)
	if err != nil {
		return s
	}
	p, keyIndex, err := m.open(c.Value)
	if err != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "session cookie rejected; starting an empty session",
			slog.String("cookie", m.name), slog.String("reason", err.Error()))
		// Clear the bad cookie on the next save so the browser stops sending it.
		s.modified = true
		return s
	}
	if p.Values != nil {
		s.values = p.Values
	}
	s.flashes = p.Flashes
	// Re-seal with the current key on the next save.
	s.modified = keyIndex > 0
	return s
}

// Save writes s as a Set-Cookie header. It returns an error wrapping
// ErrCookieTooLarge if the cookie would exceed what browsers keep.
func (m *Manager) Save(w http.ResponseWriter, s *Session) error {
	c, err := m.cookie(s)
	if err != nil {
		return err
	}
	http.SetCookie(w, c)
	s.modified = false
	return nil
}

// cookie builds the cookie that stores s (an expiring one when s was cleared).
func (m *Manager) cookie(s *Session) (*http.Cookie, error) {
	c := &http.Cookie{
		Name:     m.name,
		Path:     "/",
		Domain:   m.domain,
		Secure:   m.secure,
		HttpOnly: true,
		SameSite: m.sameSite,
	}
	if s.cleared || (len(s.values) == 0 && len(s.flashes) == 0) {
		c.MaxAge = -1
		return c, nil
	}
	now := m.now()
	p := payload{Values: s.values, Flashes: s.flashes, IssuedAt: now.Unix(), Expires: now.Add(m.maxAge).Unix()}
	v, err := m.seal(p)
	if err != nil {
		return nil, err
	}
	if n := len(m.name) + len(v); n > MaxCookieSize {
		return nil, fmt.Errorf("%w: %d bytes encoded (limit %d): browsers drop such cookies; keep large data server-side and store only a key in the session", ErrCookieTooLarge, n, MaxCookieSize)
	}
	c.Value = v
	c.MaxAge = int(m.maxAge / time.Second)
	return c, nil
}

// seal encrypts p with the current key: version | nonce | ciphertext+tag,
// base64url without padding. The cookie name is the associated data.
func (m *Manager) seal(p payload) (string, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("session: encode: %w", err)
	}
	aead := m.aeads[0]
	buf := make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(plain)+aead.Overhead())
	buf[0] = formatVersion
	if _, err := rand.Read(buf[1:]); err != nil {
		return "", fmt.Errorf("session: nonce: %w", err)
	}
	buf = aead.Seal(buf, buf[1:1+aead.NonceSize()], plain, []byte(m.name))
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// open authenticates and decrypts a cookie value, trying every key, and
// checks the expiry. It returns which key opened it.
func (m *Manager) open(value string) (payload, int, error) {
	var p payload
	if len(value) > 2*MaxCookieSize {
		return p, 0, fmt.Errorf("value of %d bytes is larger than any cookie this manager writes", len(value))
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return p, 0, errors.New("value is not base64url")
	}
	if len(raw) < 1 || raw[0] != formatVersion {
		return p, 0, errors.New("unknown format version")
	}
	for i, aead := range m.aeads {
		if len(raw) < 1+aead.NonceSize()+aead.Overhead() {
			return p, 0, errors.New("value too short")
		}
		nonce := raw[1 : 1+aead.NonceSize()]
		plain, err := aead.Open(nil, nonce, raw[1+aead.NonceSize():], []byte(m.name))
		if err != nil {
			continue
		}
		if err := json.Unmarshal(plain, &p); err != nil {
			return payload{}, 0, fmt.Errorf("authenticated payload does not decode: %v", err)
		}
		if m.now().Unix() >= p.Expires {
			return payload{}, 0, fmt.Errorf("expired at %s", time.Unix(p.Expires, 0).UTC().Format(time.RFC3339))
		}
		return p, i, nil
	}
	return p, 0, errors.New("authentication failed (tampered, or sealed with a key no longer configured)")
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool { return httpguts.ValidHeaderFieldName(s) }

// ParseKeys reads keys from configuration: base64 (standard or URL, padded
// or not) separated by commas or whitespace, newest first.
func ParseKeys(s string) ([][]byte, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	if len(fields) == 0 {
		return nil, errors.New("session: no keys given: expected base64 keys separated by commas (generate one with `openssl rand -base64 32`)")
	}
	keys := make([][]byte, 0, len(fields))
	for i, f := range fields {
		var k []byte
		var err error
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if k, err = enc.DecodeString(f); err == nil {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("session: key %d is not valid base64", i+1)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("session: key %d decodes to %d bytes; keys must be %d bytes (generate one with `openssl rand -base64 32`)", i+1, len(k), KeySize)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
