/* SPDX-License-Identifier: MIT */
/*
 * gtresume.c - a GnuTLS TLS 1.2 client that resumes its session, driven by
 * t/e2e/396-tls12-resume.sh: `gtresume PORT CAFILE [GET|BODY]...` makes a
 * full handshake to 127.0.0.1:PORT (a GET), then one connection per
 * argument resuming that session: a GET, or a POST of BODY. Each prints
 * "connected resumed=0|1", then "got <status line>" or the error.
 */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static gnutls_certificate_credentials_t cred;

static void one(int port, const gnutls_datum_t *data, const char *req, gnutls_datum_t *out)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	gnutls_session_t s;
	char buf[4096], *cr;
	ssize_t n;
	int fd, rc;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		printf("connect error\n");
		if (fd >= 0)
			close(fd);
		return;
	}
	gnutls_init(&s, GNUTLS_CLIENT);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
	gnutls_session_set_verify_cert(s, "localhost", 0);
	if (data)
		gnutls_session_set_data(s, data->data, data->size);
	gnutls_transport_set_int(s, fd);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		printf("handshake error %s\n", gnutls_strerror(rc));
		goto out;
	}
	printf("connected resumed=%u\n", gnutls_session_is_resumed(s));
	if (out)
		gnutls_session_get_data2(s, out);
	if (gnutls_record_send(s, req, strlen(req)) < 0) {
		printf("send error\n");
	} else if ((n = gnutls_record_recv(s, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if ((cr = strchr(buf, '\r')))
			*cr = '\0';
		printf("got %s\n", buf);
	} else {
		printf("recv error %s\n", gnutls_strerror((int)n));
	}
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(s);
	close(fd);
}

int main(int argc, char **argv)
{
	gnutls_datum_t d = { NULL, 0 };
	char req[512];
	int i;

	if (argc < 3)
		return 2;
	setvbuf(stdout, NULL, _IONBF, 0);
	gnutls_certificate_allocate_credentials(&cred);
	gnutls_certificate_set_x509_trust_file(cred, argv[2], GNUTLS_X509_FMT_PEM);
	one(atoi(argv[1]), NULL, "GET / HTTP/1.0\r\n\r\n", &d);
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "GET"))
			snprintf(req, sizeof(req), "GET / HTTP/1.0\r\n\r\n");
		else
			snprintf(req, sizeof(req), "POST / HTTP/1.0\r\nContent-Length: %zu\r\n\r\n%s",
				 strlen(argv[i]), argv[i]);
		one(atoi(argv[1]), &d, req, NULL);
	}
	gnutls_free(d.data);
	gnutls_certificate_free_credentials(cred);
	return 0;
}
