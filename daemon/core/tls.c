/* TLS contexts and certificate fingerprints (OpenSSL 3). */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/core.h"

static void
tls_error(char **cause, const char *what, const char *file)
{
	unsigned long	 e = ERR_get_error();
	char		 buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (asprintf(cause, "%s %s: %s", what, file ? file : "",
	    e ? buf : "unknown error") == -1)
		*cause = NULL;
}

/*
 * A server context: TLS 1.3 (1.2 if configured), client certificate
 * required and verified against the CA, no session tickets, and a peer that
 * drops TCP without close_notify is not an error (framing detects
 * truncation instead; PITFALLS.md).
 */
SSL_CTX *
tls_server_ctx(const struct config *cfg, char **cause)
{
	SSL_CTX	*ctx;
	int	 minv = strcmp(cfg->tls_min_version, "1.2") == 0 ?
		    TLS1_2_VERSION : TLS1_3_VERSION;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_error(cause, "SSL_CTX_new", NULL);
		return (NULL);
	}
	SSL_CTX_set_min_proto_version(ctx, minv);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_num_tickets(ctx, 0);
	/*
	 * conn.c drives OpenSSL on the socket itself: read ahead (a record,
	 * or several, in one read(2)), partial writes from a buffer that may
	 * move between retries, and no buffers kept by an idle connection.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) {
		tls_error(cause, "cannot load tls_cert", cfg->tls_cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		tls_error(cause, "cannot load tls_key", cfg->tls_key);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, cfg->tls_ca, NULL) != 1) {
		tls_error(cause, "cannot load tls_ca", cfg->tls_ca);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return (ctx);
fail:
	SSL_CTX_free(ctx);
	return (NULL);
}

static int
x509_fingerprint(X509 *x, char out[65])
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != 32)
		return (-1);
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return (0);
}

/* SHA-256 of the peer's certificate (DER), lowercase hex. */
int
tls_peer_fingerprint(SSL *ssl, char out[65])
{
	X509	*x = SSL_get0_peer_certificate(ssl);

	if (x == NULL)
		return (-1);
	return (x509_fingerprint(x, out));
}

int
tls_cert_fingerprint_pem(const char *pem, size_t len, char out[65],
    char **cause)
{
	BIO	*b;
	X509	*x;
	int	 rc;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		tls_error(cause, "cannot read certificate", NULL);
		return (-1);
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL) {
		tls_error(cause, "not a PEM certificate", NULL);
		return (-1);
	}
	rc = x509_fingerprint(x, out);
	X509_free(x);
	return (rc);
}

int
tls_cert_fingerprint_file(const char *path, char out[65], char **cause)
{
	FILE	*f;
	X509	*x;
	int	 rc;

	if ((f = fopen(path, "r")) == NULL) {
		if (asprintf(cause, "cannot open %s", path) == -1)
			*cause = NULL;
		return (-1);
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		tls_error(cause, "not a PEM certificate", path);
		return (-1);
	}
	rc = x509_fingerprint(x, out);
	X509_free(x);
	return (rc);
}
