package connect

import (
	"crypto/tls"
	"crypto/x509"
	"os"

	"github.com/stomp-cli/stomp/internal/exitcode"
)

// buildTLS is the TLS config of --ssl and its files: the system's CAs and
// those of caFile, the client certificate of certFile (its key in keyFile,
// else in certFile, as stomp.py allows), no verification when insecure.
func buildTLS(caFile, certFile, keyFile string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, exitcode.Usagef("cannot read --ssl-ca-file: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, exitcode.Usagef("--ssl-ca-file %s holds no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if keyFile != "" && certFile == "" {
		return nil, exitcode.Usagef("--ssl-key-file needs --ssl-cert-file")
	}
	if certFile != "" {
		if keyFile == "" {
			keyFile = certFile // stomp.py: the key may be in the cert file
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, exitcode.Usagef("cannot load client certificate: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
