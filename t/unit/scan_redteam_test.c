/* SPDX-License-Identifier: MIT */
/*
 * scan_redteam_test.c - secrets disguised the way an exfiltrator would,
 * through the whole engine (brk_scan_buffer and a stream in small writes),
 * each beside close negatives that must stay clean: zip members (raw
 * deflate after a local header, streamed members, a zip in base64), a
 * zlib stream after a text prefix, a
 * header value folded over lines, a known secret case-swapped and as a
 * byte list; a zip of clean source, a folded clean header, clean JWT-like
 * values and UUID lists as the negatives. WebSocket client frames through
 * the relay's calls (HTTP glue, raw stream, split matcher): masked, one
 * message in continuation frames, a ping, permessage-deflate with its
 * window carried over, a known secret four bytes a connection; a chat,
 * plain and deflated, as the negative. A known secret four bytes an HTTP/2
 * request (query, header, body, cookie crumb) and as HTTP/1 cookie pairs;
 * h2 requests with ids of their own as the negative; a PAT in the DATA
 * frames of one h2 stream interleaved with another's. A known secret in
 * the spellings of known_variants.c (Caesar shifts, reversed encodings,
 * base85/58/36, decimal, binary, escapes, UTF-32, separators every N),
 * each beside the same spelling of a close value that must stay clean.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h>
#include <zlib.h>

#include "broker/http/http_glue.h"
#include "broker/scan/decode.h"
#include "broker/scan/det_table.h"
#include "broker/scan/scan.h"
#include "common/wire.h"
#include "t/unit/scan_testutil.h"

static const char GH[] = "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";
/* a known secret no detector recognizes (an opaque hex token) */
static const char TOK[] = "c9f1e2a7b4d84f0e9a3b6c5d2e1f0a9b";

static const char SRC[] =
	"/* util.c - small helpers */\n#include <stdio.h>\n\nint add(int a, int b)\n{\n"
	"\treturn a + b;\n}\n\nint main(void)\n{\n\tprintf(\"%d\\n\", add(2, 3));\n\treturn 0;\n}\n";

static void le16(struct tu_buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	tu_cat(b, x, 2);
}

static void le32(struct tu_buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

/* A zip archive of one deflated member name = data (streamed: sizes 0 in
 * the local header, flag bit 3, as `zip -` writes), central directory too. */
static struct tu_buf zip1(const char *name, const char *data, int streamed)
{
	struct tu_buf z = { 0 }, d = tu_compress(2, data, strlen(data));
	size_t cd;

	tu_cats(&z, "PK\x03\x04");
	le16(&z, 20);
	le16(&z, streamed ? 8 : 0);
	le16(&z, 8);                    /* deflate */
	le32(&z, 0);                    /* time, date */
	le32(&z, 0);                    /* crc (not checked) */
	le32(&z, streamed ? 0 : (uint32_t)d.len);
	le32(&z, streamed ? 0 : (uint32_t)strlen(data));
	le16(&z, (unsigned)strlen(name));
	le16(&z, 0);
	tu_cats(&z, name);
	tu_cat(&z, d.p, d.len);
	if (streamed) {
		tu_cats(&z, "PK\x07\x08");
		le32(&z, 0);
		le32(&z, (uint32_t)d.len);
		le32(&z, (uint32_t)strlen(data));
	}
	cd = z.len;
	tu_cats(&z, "PK\x01\x02");
	le32(&z, 0x00140014);
	le32(&z, 0);
	le32(&z, 0);
	tu_cats(&z, "PK\x05\x06");
	le32(&z, 0);
	le32(&z, (uint32_t)cd);
	free(d.p);
	return z;
}

static struct tu_buf post(const char *ctype, const void *body, size_t n)
{
	struct tu_buf m = { 0 };
	char h[256];

	snprintf(h, sizeof(h), "POST /upload HTTP/1.1\r\nHost: x.example\r\nContent-Type: %s\r\n"
		 "Content-Length: %zu\r\n\r\n", ctype, n);
	tu_cats(&m, h);
	tu_cat(&m, body, n);
	return m;
}

static struct brk_scan_engine *engine_tok(void)
{
	struct brk_scan_known kn = { .value = (const uint8_t *)TOK, .len = strlen(TOK) };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);

	ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
	return e;
}

/* blocked as one buffer and as a stream in 7-byte writes */
static int blocked_both(const struct brk_scan_engine *e, const struct tu_buf *m)
{
	struct brk_scan_result r, s;

	ck_assert_int_eq(brk_scan_buffer(e, m->p, m->len, "x.example", &r), 0);
	ck_assert_int_eq(tu_stream(e, m->p, m->len, 7, "x.example", &s), 0);
	return r.blocked && s.blocked ? 2 : r.blocked || s.blocked ? 1 : 0;
}

static int clean_both(const struct brk_scan_engine *e, const struct tu_buf *m)
{
	struct brk_scan_result r, s;

	ck_assert_int_eq(brk_scan_buffer(e, m->p, m->len, "x.example", &r), 0);
	ck_assert_int_eq(tu_stream(e, m->p, m->len, 7, "x.example", &s), 0);
	if (r.nfindings || s.nfindings)
		fprintf(stderr, "redteam: clean payload flagged: %s\n",
			r.nfindings ? r.findings[0].detector : s.findings[0].detector);
	return !r.nfindings && !s.nfindings && !r.refused && !s.refused;
}

START_TEST(zip_members)
{
	struct brk_scan_engine *e = engine_tok();
	char data[512];
	int streamed;

	for (streamed = 0; streamed < 2; streamed++) {
		struct tu_buf z, m, b;

		/* a detector's credential and a known secret, each zipped */
		snprintf(data, sizeof(data), "%sexport GITHUB_TOKEN=%s\n", SRC, GH);
		z = zip1("notes/env.sh", data, streamed);
		m = post("application/zip", z.p, z.len);
		ck_assert_msg(blocked_both(e, &m) == 2, "zip (streamed %d)", streamed);
		free(m.p);
		/* after a text prefix, in a multipart file part */
		m.p = NULL;
		m.len = 0;
		tu_cats(&m, "POST /u HTTP/1.1\r\nHost: x.example\r\nContent-Type: multipart/form-data; "
			    "boundary=QQ\r\n\r\n--QQ\r\nContent-Disposition: form-data; name=\"f\"; "
			    "filename=\"a.zip\"\r\nContent-Type: application/zip\r\n\r\n");
		tu_cat(&m, z.p, z.len);
		tu_cats(&m, "\r\n--QQ--\r\n");
		ck_assert_msg(blocked_both(e, &m) == 2, "multipart zip (streamed %d)", streamed);
		free(m.p);
		/* the archive in base64 */
		b = tu_b64(z.p, z.len, 0, 1, 0);
		m = post("text/plain", b.p, b.len);
		ck_assert_msg(blocked_both(e, &m) == 2, "base64 zip (streamed %d)", streamed);
		free(m.p);
		free(b.p);
		free(z.p);
		snprintf(data, sizeof(data), "%s/* token: %s */\n", SRC, TOK);
		z = zip1("src/util.c", data, streamed);
		m = post("application/octet-stream", z.p, z.len);
		ck_assert_msg(blocked_both(e, &m) == 2, "zip known (streamed %d)", streamed);
		free(m.p);
		free(z.p);
		/* the close negative: the same archive of clean source */
		z = zip1("src/util.c", SRC, streamed);
		m = post("application/zip", z.p, z.len);
		ck_assert(clean_both(e, &m));
		free(m.p);
		free(z.p);
	}
	{
		/* 300 members, the known secret in the last: past the 256
		 * trials a layer used to get, all of them real members */
		struct tu_buf a = { 0 }, z, m;
		int i;

		for (i = 0; i < 300; i++) {
			if (i < 299)
				snprintf(data, sizeof(data), "member %d: nothing to see here\n", i);
			else
				snprintf(data, sizeof(data), "member %d: token=%s\n", i, TOK);
			z = zip1("f.txt", data, 0);
			tu_cat(&a, z.p, z.len);
			free(z.p);
		}
		m = post("application/zip", a.p, a.len);
		ck_assert_msg(blocked_both(e, &m) == 2, "the 300th member of a zip");
		free(m.p);
		free(a.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(zlib_after_text)
{
	struct brk_scan_engine *e = engine_tok();
	struct tu_buf body = { 0 }, z, m;
	char data[512];
	uint32_t x = 2463534242u;
	size_t i;

	snprintf(data, sizeof(data), "%sexport GITHUB_TOKEN=%s\n", SRC, GH);
	z = tu_compress(1, data, strlen(data));     /* zlib: 78 9c */
	tu_cats(&body, "build log follows:\n");
	tu_cat(&body, z.p, z.len);
	tu_cats(&body, "\n-- end --\n");
	m = post("text/plain", body.p, body.len);
	ck_assert(blocked_both(e, &m) == 2);
	free(m.p);
	free(z.p);
	free(body.p);
	/* the close negative: random bytes after text, with zlib-like
	 * headers (78 9c, 78 da) in them */
	body.p = NULL;
	body.len = 0;
	tu_cats(&body, "attachment follows:\n");
	for (i = 0; i < 65536; i++) {
		uint8_t c;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		c = (uint8_t)(x >> 24);
		if (i % 4096 == 100)
			tu_cat(&body, i % 8192 ? "x\xda" : "x\x9c", 2);
		tu_cat(&body, &c, 1);
	}
	m = post("application/octet-stream", body.p, body.len);
	ck_assert(clean_both(e, &m));
	free(m.p);
	free(body.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(folded_header)
{
	struct brk_scan_engine *e = engine_tok();
	struct tu_buf m = { 0 };

	/* a value cut over obs-fold lines: pieces too short for any detector */
	tu_cats(&m, "GET / HTTP/1.1\r\nHost: x.example\r\nX-Trace: ghp_u8jzPde0Ig\r\n xLd6GncfBAepfJ\r\n"
		    "\tBd0Kh8024xXH\r\nAccept: */*\r\n\r\n");
	ck_assert(blocked_both(e, &m) == 2);
	free(m.p);
	m.p = NULL;
	m.len = 0;
	tu_cats(&m, "GET / HTTP/1.1\r\nHost: x.example\r\nX-Id: c9f1e2a7b4\r\n d84f0e9a3b\r\n 6c5d2e1f0a9b\r\n\r\n");
	ck_assert(blocked_both(e, &m) == 2);
	free(m.p);
	/* the close negative: a folded clean header */
	m.p = NULL;
	m.len = 0;
	tu_cats(&m, "GET / HTTP/1.1\r\nHost: x.example\r\nUser-Agent: npm/10.2.4 node/v20.11.0\r\n"
		    " linux x64 workspaces/false\r\nAccept: */*\r\n\r\n");
	ck_assert(clean_both(e, &m));
	free(m.p);
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(known_disguised)
{
	struct brk_scan_engine *e = engine_tok();
	char v[256];
	size_t i, n = strlen(TOK), k;
	struct tu_buf m;

	/* upper case (a hex token's only other spelling) */
	for (i = 0; i < n; i++)
		v[i] = (char)toupper(TOK[i]);
	m = post("text/plain", v, n);
	ck_assert(blocked_both(e, &m) == 2);
	free(m.p);
	/* a byte of junk after each byte */
	for (i = 0; i < n; i++) {
		v[2 * i] = TOK[i];
		v[2 * i + 1] = "qwertyuiopzx"[i % 12];
	}
	m = post("text/plain", v, 2 * n);
	ck_assert(blocked_both(e, &m) == 2);
	free(m.p);
	/* the close negative: another token of that shape, interleaved alike */
	for (i = 0; i < n; i++) {
		v[2 * i] = "0123456789abcdef"[(TOK[i] * 7 + 3) & 15];
		v[2 * i + 1] = "qwertyuiopzx"[i % 12];
	}
	m = post("text/plain", v, 2 * n);
	ck_assert(clean_both(e, &m));
	free(m.p);
	/* "c9:f1:e2:...": hex of its bytes with separators */
	for (i = 0, k = 0; i < n; i++)
		k += (size_t)snprintf(v + k, sizeof(v) - k, i ? ":%02x" : "%02x", (unsigned)TOK[i]);
	m = post("text/plain", v, k);
	ck_assert(blocked_both(e, &m) == 2);
	free(m.p);
	brk_scan_engine_free(e);
}
END_TEST

/* A known secret in the fixed spellings of known_variants.c (generated by
 * bench/relay/battery.py's encoders), each beside the same spelling of a
 * value of the same shape:
 * the first must be blocked, the second must stay clean. (The value with
 * one character in every 8 changed: no 16 bytes of it are left.) */
static const char VAR[] = "Zq7mPw2xLk9vRt4nBy6cHd3sJf8gWe5u";

static const struct variant_case { const char *name; size_t len; const char *pos, *neg; } variant_cases[] = {
	{ "base64-reversed", 44,
		"=UXNld1Z4YmSzNDZINmN5Jkb0QnU2lzaMhnM3BVb3EnW",
		"=UXNldVU4YmSzNDZIFlN5Jkb0QnURlzaMhnM3BVU3EnW" },
	{ "hex-reversed", 64,
		"57535675768366a43733468436639724e64347256793b6c487237705d67317a5",
		"57535675158366a43733468415639724e64347251593b6c487237705157317a5" },
	{ "hex-of-reversed", 64,
		"753565576738664a73336448633679426e34745276396b4c783277506d37715a",
		"753565575138664a73336448513679426e34745251396b4c783277505137715a" },
	{ "hex-of-hex-reversed", 128,
		"353735333536373537363833363661343337333334363834333636333937323465363433343732353637393362"
		"36633438373233373730356436373331376135",
		"353735333536373531353833363661343337333334363834313536333937323465363433343732353135393362"
		"36633438373233373730353135373331376135" },
	{ "rot3", 32,
		"Ct7pSz2aOn9yUw4qEb6fKg3vMi8jZh5x",
		"Ct7TSz2aOn9TUw4qEb6TKg3vMi8TZh5x" },
	{ "rot25", 32,
		"Yp7lOv2wKj9uQs4mAx6bGc3rIe8fVd5t",
		"Yp7POv2wKj9PQs4mAx6PGc3rIe8PVd5t" },
	{ "rot47", 32,
		"+Bf>!HaI{<hG#Ec?qJe4w5bDy7g8(6dF",
		"+Bf\"!HaI{<h\"#Ec?qJe\"w5bDy7g\"(6dF" },
	{ "rot18", 32,
		"Md2zCj7kYx4iEg9aOl1pUq8fWs3tJr0h",
		"Md2DCj7kYx4DEg9aOl1DUq8fWs3DJr0h" },
	{ "reversed-rot13", 32,
		"h5rJt8sWf3qUp6lOa4gEi9xYk2jCz7dM",
		"h5rJD8sWf3qUD6lOa4gED9xYk2jCD7dM" },
	{ "base85", 40,
		"T5&gRP<JwTOlvuIQgk$KLU}f0NMti}N@h4`S7kMI",
		"T5&f~P<JwTOlvt&Qgk$KLU}e(NMti}N@h4wS7kMI" },
	{ "ascii85", 40,
		">&cK<:j4[>9PZY3;KOa56?tJ!87XMt8nL%q=(O73",
		">&cJu:j4[>9PZXc;KOa56?tId87XMt8nL%[=(O73" },
	{ "ascii85+1", 42,
		"GZo)GD,>F3GYDm5G#EE=DF/V,@n:,dF%U%(B3/Y%FT",
		"GZo)G;,DHlGYDm5;,VKmDF/V,;+P4RF%U%(;-.<dFT" },
	{ "base85+2", 43,
		"czIfJH*HXNGI&gDId)QXG;Tt9He*O+GjmF2IA>R7HFW",
		"czIfJH&IY`GI&gDIZ;w{G;Tt9Hc?1qGjmF2I8j$+HFW" },
	{ "z85", 40,
		"t5=Grp<jWtoLVUiqGK:klu$F0nmTI$n[H4}s7Kmi",
		"t5=F#p<jWtoLVT=qGK:klu$E^nmTI$n[H4Ws7Kmi" },
	{ "uuencode", 64,
		"begin 644 x\012@6G$W;5!W,GA,:SEV4G0T;D)Y-F-(9#-S2F8X9U=E-74 \012`\012end\012",
		"begin 644 x\012@6G$W45!W,GA,:SE14G0T;D)Y-E%(9#-S2F8X45=E-74 \012`\012end\012" },
	{ "base58", 44,
		"763pgPtA8WUn3f2JsMFUqFvqLykhFbg8ASCECE3qdvQk",
		"763pf8A85DQhqCNoKfaGtEa6JieEqNFyU7WLXKgcDtdr" },
	{ "base36-upper", 50,
		"295ETHRY7M4N0LB1GKDARG6056XBP7AD9E5K3UHCX1W9KJ6V05",
		"295ETF9EJXG3KNB8EE8G3ZBH3DTB5RGJN620WMZ1GRAPJQKJG5" },
	{ "decimal", 77,
		"40908192633971210779363220217263158742862246339716480599347053235406845064565",
		"40908191879092704099145305912511175725069179502913991032451793960457973609845" },
	{ "binary", 256,
		"010110100111000100110111011011010101000001110111001100100111100001001100011010110011100101"
		"110110010100100111010000110100011011100100001001111001001101100110001101001000011001000011"
		"0011011100110100101001100110001110000110011101010111011001010011010101110101",
		"010110100111000100110111010100010101000001110111001100100111100001001100011010110011100101"
		"010001010100100111010000110100011011100100001001111001001101100101000101001000011001000011"
		"0011011100110100101001100110001110000101000101010111011001010011010101110101" },
	{ "binary-spaced", 287,
		"01011010 01110001 00110111 01101101 01010000 01110111 00110010 01111000 01001100 01101011 "
		"00111001 01110110 01010010 01110100 00110100 01101110 01000010 01111001 00110110 01100011 "
		"01001000 01100100 00110011 01110011 01001010 01100110 00111000 01100111 01010111 01100101 "
		"00110101 01110101",
		"01011010 01110001 00110111 01010001 01010000 01110111 00110010 01111000 01001100 01101011 "
		"00111001 01010001 01010010 01110100 00110100 01101110 01000010 01111001 00110110 01010001 "
		"01001000 01100100 00110011 01110011 01001010 01100110 00111000 01010001 01010111 01100101 "
		"00110101 01110101" },
	{ "percent-U", 192,
		"%u005A%u0071%u0037%u006D%u0050%u0077%u0032%u0078%u004C%u006B%u0039%u0076%u0052%u0074%u0034"
		"%u006E%u0042%u0079%u0036%u0063%u0048%u0064%u0033%u0073%u004A%u0066%u0038%u0067%u0057%u0065"
		"%u0035%u0075",
		"%u005A%u0071%u0037%u0051%u0050%u0077%u0032%u0078%u004C%u006B%u0039%u0051%u0052%u0074%u0034"
		"%u006E%u0042%u0079%u0036%u0051%u0048%u0064%u0033%u0073%u004A%u0066%u0038%u0051%u0057%u0065"
		"%u0035%u0075" },
	{ "js-u-brace", 192,
		"\\u{5a}\\u{71}\\u{37}\\u{6d}\\u{50}\\u{77}\\u{32}\\u{78}\\u{4c}\\u{6b}\\u{39}\\u{76}\\u{52"
		"}\\u{74}\\u{34}\\u{6e}\\u{42}\\u{79}\\u{36}\\u{63}\\u{48}\\u{64}\\u{33}\\u{73}\\u{4a}\\u{6"
		"6}\\u{38}\\u{67}\\u{57}\\u{65}\\u{35}\\u{75}",
		"\\u{5a}\\u{71}\\u{37}\\u{51}\\u{50}\\u{77}\\u{32}\\u{78}\\u{4c}\\u{6b}\\u{39}\\u{51}\\u{52"
		"}\\u{74}\\u{34}\\u{6e}\\u{42}\\u{79}\\u{36}\\u{51}\\u{48}\\u{64}\\u{33}\\u{73}\\u{4a}\\u{6"
		"6}\\u{38}\\u{51}\\u{57}\\u{65}\\u{35}\\u{75}" },
	{ "css", 128,
		"\\5a \\71 \\37 \\6d \\50 \\77 \\32 \\78 \\4c \\6b \\39 \\76 \\52 \\74 \\34 \\6e \\42 \\79 "
		"\\36 \\63 \\48 \\64 \\33 \\73 \\4a \\66 \\38 \\67 \\57 \\65 \\35 \\75 ",
		"\\5a \\71 \\37 \\51 \\50 \\77 \\32 \\78 \\4c \\6b \\39 \\51 \\52 \\74 \\34 \\6e \\42 \\79 "
		"\\36 \\51 \\48 \\64 \\33 \\73 \\4a \\66 \\38 \\51 \\57 \\65 \\35 \\75 " },
	{ "css6", 224,
		"\\00005a\\000071\\000037\\00006d\\000050\\000077\\000032\\000078\\00004c\\00006b\\000039\\"
		"000076\\000052\\000074\\000034\\00006e\\000042\\000079\\000036\\000063\\000048\\000064\\00"
		"0033\\000073\\00004a\\000066\\000038\\000067\\000057\\000065\\000035\\000075",
		"\\00005a\\000071\\000037\\000051\\000050\\000077\\000032\\000078\\00004c\\00006b\\000039\\"
		"000051\\000052\\000074\\000034\\00006e\\000042\\000079\\000036\\000051\\000048\\000064\\00"
		"0033\\000073\\00004a\\000066\\000038\\000051\\000057\\000065\\000035\\000075" },
	{ "octal-list", 119,
		"132 161 67 155 120 167 62 170 114 153 71 166 122 164 64 156 102 171 66 143 110 144 63 163 "
		"112 146 70 147 127 145 65 165",
		"132 161 67 121 120 167 62 170 114 153 71 121 122 164 64 156 102 171 66 121 110 144 63 163 "
		"112 146 70 121 127 145 65 165" },
	{ "utf32le", 128,
		"Z\000\000\000q\000\000\0007\000\000\000m\000\000\000P\000\000\000w\000\000\0002\000\000\000"
		"x\000\000\000L\000\000\000k\000\000\0009\000\000\000v\000\000\000R\000\000\000t\000\000\000"
		"4\000\000\000n\000\000\000B\000\000\000y\000\000\0006\000\000\000c\000\000\000H\000\000\000"
		"d\000\000\0003\000\000\000s\000\000\000J\000\000\000f\000\000\0008\000\000\000g\000\000\000"
		"W\000\000\000e\000\000\0005\000\000\000u\000\000\000",
		"Z\000\000\000q\000\000\0007\000\000\000Q\000\000\000P\000\000\000w\000\000\0002\000\000\000"
		"x\000\000\000L\000\000\000k\000\000\0009\000\000\000Q\000\000\000R\000\000\000t\000\000\000"
		"4\000\000\000n\000\000\000B\000\000\000y\000\000\0006\000\000\000Q\000\000\000H\000\000\000"
		"d\000\000\0003\000\000\000s\000\000\000J\000\000\000f\000\000\0008\000\000\000Q\000\000\000"
		"W\000\000\000e\000\000\0005\000\000\000u\000\000\000" },
	{ "utf32be", 128,
		"\000\000\000Z\000\000\000q\000\000\0007\000\000\000m\000\000\000P\000\000\000w\000\000\000"
		"2\000\000\000x\000\000\000L\000\000\000k\000\000\0009\000\000\000v\000\000\000R\000\000\000"
		"t\000\000\0004\000\000\000n\000\000\000B\000\000\000y\000\000\0006\000\000\000c\000\000\000"
		"H\000\000\000d\000\000\0003\000\000\000s\000\000\000J\000\000\000f\000\000\0008\000\000\000"
		"g\000\000\000W\000\000\000e\000\000\0005\000\000\000u",
		"\000\000\000Z\000\000\000q\000\000\0007\000\000\000Q\000\000\000P\000\000\000w\000\000\000"
		"2\000\000\000x\000\000\000L\000\000\000k\000\000\0009\000\000\000Q\000\000\000R\000\000\000"
		"t\000\000\0004\000\000\000n\000\000\000B\000\000\000y\000\000\0006\000\000\000Q\000\000\000"
		"H\000\000\000d\000\000\0003\000\000\000s\000\000\000J\000\000\000f\000\000\0008\000\000\000"
		"Q\000\000\000W\000\000\000e\000\000\0005\000\000\000u" },
	{ "sep2-dash", 47,
		"Zq-7m-Pw-2x-Lk-9v-Rt-4n-By-6c-Hd-3s-Jf-8g-We-5u",
		"Zq-7Q-Pw-2x-Lk-9Q-Rt-4n-By-6Q-Hd-3s-Jf-8Q-We-5u" },
	{ "sep3-space", 42,
		"Zq7 mPw 2xL k9v Rt4 nBy 6cH d3s Jf8 gWe 5u",
		"Zq7 QPw 2xL k9Q Rt4 nBy 6QH d3s Jf8 QWe 5u" },
	{ "sep5-nl", 38,
		"Zq7mP\012w2xLk\0129vRt4\012nBy6c\012Hd3sJ\012f8gWe\0125u",
		"Zq7QP\012w2xLk\0129QRt4\012nBy6Q\012Hd3sJ\012f8QWe\0125u" },
	{ "sep8-comma", 35,
		"Zq7mPw2x,Lk9vRt4n,By6cHd3s,Jf8gWe5u",
		"Zq7QPw2x,Lk9QRt4n,By6QHd3s,Jf8QWe5u" },
	{ "base32-reversed", 56,
		"====Q2VGF3VOG4YMK24GDSBJDTNSHBZNUB5EF3FHLDTQHZ4OQK3OTYJL",
		"====Q2VGF3VCF4YMK24GDSBJRSNSHBZNUB5EVIFHLDTQHZ4OQKUOTYJL" },
};

START_TEST(known_variants)
{
	struct brk_scan_known kn = { .value = (const uint8_t *)VAR, .len = strlen(VAR) };
	struct brk_scan_engine *e = tu_engine(0, NULL, 0);
	size_t i;

	ck_assert_int_eq(brk_scan_engine_add_known(e, &kn, 1), 0);
	for (i = 0; i < sizeof(variant_cases) / sizeof(variant_cases[0]); i++) {
		const struct variant_case *c = &variant_cases[i];
		struct tu_buf m = post("text/plain", c->pos, c->len);

		ck_assert_msg(blocked_both(e, &m) == 2, "variant %s missed", c->name);
		free(m.p);
		m = post("text/plain", c->neg, c->len);
		ck_assert_msg(clean_both(e, &m), "variant %s: close negative flagged", c->name);
		free(m.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

/* what a clean upload holds that looks like the disguises above */
START_TEST(close_negatives)
{
	static const char *const clean[] = {
		/* JWT-shaped, but a public, unsigned demo token */
		"{\"sample\":\"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJkZW1vIiwiaWF0IjoxNTE2MjM5MDIyfQ.\"}",
		"ids=550e8400-e29b-41d4-a716-446655440000,6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		"mac=00:1a:2b:3c:4d:5e&fp=3f:9a:10:c2:77:e1:0b:5d:aa:42:19:c0:de:ad:be:ef",
		"bytes=[104, 101, 108, 108, 111, 32, 119, 111, 114, 108, 100]",
		"integrity=sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
		NULL,
	};
	struct brk_scan_engine *e = engine_tok();
	size_t i;

	for (i = 0; clean[i]; i++) {
		struct tu_buf m = post("application/json", clean[i], strlen(clean[i]));

		ck_assert_msg(clean_both(e, &m), "clean %zu", i);
		free(m.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

/* ---- WebSocket: the relay's calls (relay_scan.c rl_scan_plain) ---- */

static const char WS_HS[] =
	"GET /chat HTTP/1.1\r\nHost: x.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

/* One client frame: masked with a key of its own, as RFC 6455 requires. */
static void ws_frame(struct tu_buf *b, unsigned b0, const void *pl, size_t n)
{
	static uint32_t x = 0x9e3779b9u;
	uint8_t h[8], key[4], *m = malloc(n + 1);
	size_t i, hl = 2;

	ck_assert_ptr_nonnull(m);
	h[0] = (uint8_t)b0;
	if (n < 126) {
		h[1] = (uint8_t)(0x80 | n);
	} else {
		h[1] = 0x80 | 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	}
	for (i = 0; i < 4; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		key[i] = (uint8_t)(x >> 24);
	}
	for (i = 0; i < n; i++)
		m[i] = ((const uint8_t *)pl)[i] ^ key[i & 3];
	tu_cat(b, h, hl);
	tu_cat(b, key, 4);
	tu_cat(b, m, n);
	free(m);
}

/* permessage-deflate: each message a sync-flushed block of one raw deflate
 * stream (the LZ77 window carried over), its 00 00 ff ff tail dropped. */
static void ws_deflated(struct tu_buf *b, z_stream *z, const char *msg)
{
	uint8_t out[1024];

	z->next_in = (Bytef *)(uintptr_t)msg;
	z->avail_in = (uInt)strlen(msg);
	z->next_out = out;
	z->avail_out = sizeof(out);
	ck_assert_int_eq(deflate(z, Z_SYNC_FLUSH), Z_OK);
	ck_assert_uint_ge(sizeof(out) - z->avail_out, 4);
	ws_frame(b, 0x80 | 0x40 | 1, out, sizeof(out) - z->avail_out - 4);
}

/* The connections of c[0, n) (each its own glue and raw stream, as the
 * relay has per pair) to one host, in 5-byte reads: blocked? */
static int relay_blocked(const struct brk_scan_engine *e, const struct tu_buf *c, size_t n,
			 const char *host)
{
	size_t i, off;
	int blocked = 0;

	for (i = 0; i < n; i++) {
		struct brk_scan_stream *ss;
		struct brk_http_glue g;

		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(brk_scan_stream_open(e, &ss), 0);
		for (off = 0; off < c[i].len; off += 5) {
			size_t k = c[i].len - off < 5 ? c[i].len - off : 5;
			struct brk_scan_result r;
			unsigned long long sc;
			bool partial;
			char why[128];

			memset(&r, 0, sizeof(r));
			g.cover = 1;
			brk_http_glue_scan(&g, e, DLP_CHAN_PLAIN, DLP_DIR_SEND, c[i].p + off, k, host, &r);
			brk_http_glue_raw(&g, ss, c[i].p + off, k, host, &r, &partial, &sc, why, sizeof(why));
			if (!r.blocked)
				brk_scan_split_feed(e, host, c[i].p + off, k, &r);
			blocked |= r.blocked;
		}
		brk_http_glue_free(&g);
		brk_scan_stream_close(ss);
	}
	return blocked;
}

START_TEST(websocket_frames)
{
	struct brk_scan_engine *e = engine_tok();
	struct tu_buf c[16];
	size_t i, n = strlen(GH);
	z_stream z;
	char msg[128];

	/* a PAT four characters a frame */
	memset(c, 0, sizeof(c));
	tu_cats(&c[0], WS_HS);
	for (i = 0; i < n; i += 4)
		ws_frame(&c[0], 0x81, GH + i, n - i < 4 ? n - i : 4);
	ck_assert(relay_blocked(e, c, 1, "a.example"));
	free(c[0].p);
	/* one message in continuation frames, and a ping's payload */
	memset(c, 0, sizeof(c));
	tu_cats(&c[0], WS_HS);
	ws_frame(&c[0], 0x01, GH, 10);
	ws_frame(&c[0], 0x89, "keepalive", 9);
	ws_frame(&c[0], 0x00, GH + 10, 15);
	ws_frame(&c[0], 0x80, GH + 25, n - 25);
	ck_assert(relay_blocked(e, c, 1, "b.example"));
	free(c[0].p);
	memset(c, 0, sizeof(c));
	tu_cats(&c[0], WS_HS);
	ws_frame(&c[0], 0x89, TOK, strlen(TOK));
	ck_assert(relay_blocked(e, c, 1, "c.example"));
	free(c[0].p);
	/* a "ping" over the 125 bytes a control frame may hold, the PAT past them */
	memset(c, 0, sizeof(c));
	tu_cats(&c[0], WS_HS);
	{
		char big[300];

		memset(big, '.', sizeof(big));
		memcpy(big + 200, GH, n);
		ws_frame(&c[0], 0x89, big, sizeof(big));
	}
	ck_assert(relay_blocked(e, c, 1, "c2.example"));
	free(c[0].p);
	/* permessage-deflate, the secret in the third message (its window
	 * holds the first two) */
	memset(c, 0, sizeof(c));
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	tu_cats(&c[0], WS_HS);
	ws_deflated(&c[0], &z, "{\"type\":\"hello\",\"client\":\"cli/1.0\"}");
	ws_deflated(&c[0], &z, "{\"type\":\"hello\",\"client\":\"cli/1.0\"}");
	snprintf(msg, sizeof(msg), "{\"type\":\"env\",\"token\":\"%s\"}", GH);
	ws_deflated(&c[0], &z, msg);
	deflateEnd(&z);
	ck_assert(relay_blocked(e, c, 1, "d.example"));
	free(c[0].p);
	/* a known secret four characters a connection */
	n = strlen(TOK);
	memset(c, 0, sizeof(c));
	for (i = 0; i < n / 4; i++) {
		tu_cats(&c[i], WS_HS);
		ws_frame(&c[i], 0x81, TOK + 4 * i, 4);
	}
	ck_assert(relay_blocked(e, c, n / 4, "e.example"));
	for (i = 0; i < n / 4; i++)
		free(c[i].p);
	/* the close negatives: a chat, plain and deflated */
	memset(c, 0, sizeof(c));
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	tu_cats(&c[0], WS_HS);
	ws_frame(&c[0], 0x81, "{\"type\":\"hello\",\"id\":\"550e8400-e29b-41d4-a716-446655440000\"}", 60);
	ws_frame(&c[0], 0x89, "", 0);
	ws_deflated(&c[0], &z, "{\"type\":\"message\",\"text\":\"see you at 10:30 in room 4\"}");
	ws_deflated(&c[0], &z, "{\"type\":\"message\",\"text\":\"see you at 10:30 in room 5\"}");
	deflateEnd(&z);
	ck_assert(!relay_blocked(e, c, 1, "f.example"));
	free(c[0].p);
	brk_scan_engine_free(e);
}
END_TEST

/* ---- HTTP/2 requests and cookie pairs: the split matcher ---- */

static void h2_frame(struct tu_buf *b, unsigned type, unsigned flags, unsigned sid, const void *p,
		     size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, (uint8_t)type,
			 (uint8_t)flags, (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
			 (uint8_t)sid };

	tu_cat(b, h, 9);
	tu_cat(b, p, n);
}

/* HPACK literal without indexing, new name, no Huffman (short strings) */
static void hp_lit(struct tu_buf *b, const char *name, const char *value)
{
	uint8_t x = 0;

	tu_cat(b, &x, 1);
	x = (uint8_t)strlen(name);
	tu_cat(b, &x, 1);
	tu_cats(b, name);
	x = (uint8_t)strlen(value);
	tu_cat(b, &x, 1);
	tu_cats(b, value);
}

/* One h2c connection of n requests; request i carries piece i of v (4
 * bytes) in its query (how 0), a header (1), its body (2) or a cookie
 * crumb (3), or an id of its own (pieces NULL: the negative). */
static struct tu_buf h2_conn(const char *v, size_t n, int how)
{
	struct tu_buf c = { 0 }, blk;
	size_t i;
	char path[64], piece[64];

	tu_cats(&c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	h2_frame(&c, 4, 0, 0, "", 0);
	for (i = 0; i < n; i++) {
		if (v)
			snprintf(piece, sizeof(piece), "%.4s", v + 4 * i);
		else
			snprintf(piece, sizeof(piece), "%08zx-e29b-41d4-a716-4466554400%02zx", i * 7919, i);
		blk.p = NULL;
		blk.len = 0;
		snprintf(path, sizeof(path), how == 0 ? "/x?p%zu=%s" : "/x", i, piece);
		hp_lit(&blk, ":method", "POST");
		hp_lit(&blk, ":scheme", "http");
		hp_lit(&blk, ":path", path);
		hp_lit(&blk, ":authority", "x.example");
		if (how == 1)
			hp_lit(&blk, "x-request-id", piece);
		if (how == 3) {
			char cr[80];

			snprintf(cr, sizeof(cr), "c%zu=%s", i, piece);
			hp_lit(&blk, "cookie", cr);
		}
		h2_frame(&c, 1, how == 2 ? 4 : 5, (unsigned)(1 + 2 * i), blk.p, blk.len);
		if (how == 2)
			h2_frame(&c, 0, 1, (unsigned)(1 + 2 * i), piece, strlen(piece));
		free(blk.p);
	}
	return c;
}

/* Two h2 requests' DATA frames interleaved: the PAT four bytes a frame
 * in stream 1, another body in stream 3 (and the negative: both clean). */
START_TEST(h2_interleaved_bodies)
{
	struct brk_scan_engine *e = engine_tok();
	int neg;

	for (neg = 0; neg < 2; neg++) {
		struct tu_buf c = { 0 }, blk = { 0 };
		size_t i, n = strlen(GH);
		unsigned sid;

		tu_cats(&c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
		h2_frame(&c, 4, 0, 0, "", 0);
		hp_lit(&blk, ":method", "POST");
		hp_lit(&blk, ":scheme", "http");
		hp_lit(&blk, ":path", "/upload");
		hp_lit(&blk, ":authority", "x.example");
		for (sid = 1; sid <= 3; sid += 2)
			h2_frame(&c, 1, 4, sid, blk.p, blk.len);
		for (i = 0; i < n; i += 4) {
			h2_frame(&c, 0, 0, 1, neg ? "abcd" : GH + i, n - i < 4 ? n - i : 4);
			h2_frame(&c, 0, 0, 3, "{\"k\":", 5);
		}
		h2_frame(&c, 0, 1, 1, "", 0);
		h2_frame(&c, 0, 1, 3, "", 0);
		ck_assert_msg(relay_blocked(e, &c, 1, neg ? "h2i-n.example" : "h2i.example") == !neg,
			      "interleaved, negative %d", neg);
		free(c.p);
		free(blk.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

START_TEST(split_h2_and_cookies)
{
	struct brk_scan_engine *e = engine_tok();
	size_t n = strlen(TOK) / 4, i;
	int how;
	char host[32];
	struct tu_buf c[8];

	for (how = 0; how < 4; how++) {
		/* a known secret four bytes a request, on one h2 connection */
		snprintf(host, sizeof(host), "h2-%d.example", how);
		c[0] = h2_conn(TOK, n, how);
		ck_assert_msg(relay_blocked(e, c, 1, host), "h2 how %d", how);
		free(c[0].p);
		/* ... and clean requests with ids of their own */
		snprintf(host, sizeof(host), "h2n-%d.example", how);
		c[0] = h2_conn(NULL, n, how);
		ck_assert_msg(!relay_blocked(e, c, 1, host), "h2 negative how %d", how);
		free(c[0].p);
	}
	/* HTTP/1.1: cookie pairs, in one request and one pair a connection */
	memset(c, 0, sizeof(c));
	tu_cats(&c[0], "GET / HTTP/1.1\r\nHost: x.example\r\nCookie: ");
	for (i = 0; i < n; i++) {
		char pair[32];

		snprintf(pair, sizeof(pair), "%sc%zu=%.4s", i ? "; " : "", i, TOK + 4 * i);
		tu_cats(&c[0], pair);
	}
	tu_cats(&c[0], "\r\n\r\n");
	ck_assert(relay_blocked(e, c, 1, "ck1.example"));
	free(c[0].p);
	memset(c, 0, sizeof(c));
	for (i = 0; i < n; i++) {
		char m[160];

		snprintf(m, sizeof(m), "GET / HTTP/1.1\r\nHost: x.example\r\nCookie: sid=abc; c%zu=%.4s\r\n\r\n",
			 i, TOK + 4 * i);
		tu_cats(&c[i], m);
	}
	ck_assert(relay_blocked(e, c, n, "ck2.example"));
	for (i = 0; i < n; i++)
		free(c[i].p);
	brk_scan_engine_free(e);
}
END_TEST

/* ---- a token prefix reversed or ROT-n (dec_unspell.c) -------------- */

/* out = in (n bytes) reversed (rev) and its letters shifted by k */
static void spell(const char *in, size_t n, int rev, int k, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = in[rev ? n - 1 - i : i];

		if (c >= 'a' && c <= 'z')
			c = (char)('a' + (c - 'a' + k) % 26);
		else if (c >= 'A' && c <= 'Z')
			c = (char)('A' + (c - 'A' + k) % 26);
		out[i] = c;
	}
	out[n] = 0;
}

/* Every specific detector's first sample with a '_' or '-' prefix,
 * reversed, ROT-1/13/25, reversed ROT-13, and base64 / hex of it
 * reversed, inside JS, is blocked (buffer and stream); its near misses
 * spelled the same way are not, nor is code full of look-alikes. */
START_TEST(pattern_unspelled)
{
	static const struct { int rev, k, enc; } sp[] = {
		{ 1, 0, 0 }, { 0, 1, 0 }, { 0, 13, 0 }, { 0, 25, 0 }, { 1, 13, 0 },
		{ 1, 0, 1 }, { 1, 0, 2 },
	};
	static const char *const ids[] = { "github-pat", "github-fine-grained-pat", "npm-token",
					   "gitlab-pat", "slack-token", NULL };
	static const char *const clean[] = {
		/* identifiers whose letters sit like a shifted "ghp_", "npm_", reversed */
		"var tuc_ab = 1, _phgx = 2; function xoy_read(jsc_opts) { return __proto__; }",
		"{\"_id\":\"pkg-10853@12.35.12\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"_npmUser\":{}}",
		"ids=550e8400-e29b-41d4-a716-446655440000,6ba7b810-9dad-11d1-80b4-00c04fd430c8",
		"\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"",
		"resolved \"https://registry.yarnpkg.com/tuc_-lib/-/tuc_-lib-2.1.0.tgz#9f0e1a2b\"",
		NULL,
	};
	struct brk_scan_engine *e = engine_tok();
	size_t d, i;
	char buf[1024], js[2048];

	for (d = 0; ids[d]; d++) {
		const struct brk_scan_det *det = brk_scan_det_find(ids[d]);
		int neg;

		ck_assert_msg(det != NULL, "%s", ids[d]);
		for (neg = 0; neg < 2; neg++) {
			const char *v = neg ? (det->neg ? det->neg[0] : NULL) : det->pos[0];

			if (!v)
				continue;
			for (i = 0; i < sizeof(sp) / sizeof(sp[0]); i++) {
				struct tu_buf m, x = { 0 };

				spell(v, strlen(v), sp[i].rev, sp[i].k, buf);
				if (sp[i].enc == 1)
					x = tu_b64(buf, strlen(buf), 0, 1, 0);
				else if (sp[i].enc == 2)
					x = tu_hex(buf, strlen(buf), 0);
				else
					tu_cats(&x, buf);
				tu_cat(&x, "", 1);
				snprintf(js, sizeof(js), "const t = \"%s\"; fetch(u, {body: t});", (char *)x.p);
				m = post("application/javascript", js, strlen(js));
				if (neg)
					ck_assert_msg(clean_both(e, &m), "%s neg spelled %zu", ids[d], i);
				else
					ck_assert_msg(blocked_both(e, &m) == 2, "%s spelled %zu: %s", ids[d], i,
						      js);
				free(m.p);
				free(x.p);
			}
		}
	}
	for (i = 0; clean[i]; i++) {
		struct tu_buf m = post("application/json", clean[i], strlen(clean[i]));

		ck_assert_msg(clean_both(e, &m), "clean %zu", i);
		free(m.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

/* ---- literals joined with '+' (dec_concat.c) ------------------------ */

/* v cut every n characters into q-quoted literals joined by sep */
static void concat(const char *v, size_t n, char q, const char *sep, struct tu_buf *b)
{
	size_t i, l = strlen(v);

	tu_cats(b, "var t = ");
	for (i = 0; i < l; i += n) {
		if (i)
			tu_cats(b, sep);
		tu_cat(b, &q, 1);
		tu_cat(b, v + i, l - i < n ? l - i : n);
		tu_cat(b, &q, 1);
	}
	tu_cats(b, ";\nfetch(u, {method: 'POST', body: t});\n");
}

/* A PAT and a known secret cut into 2..9-character literals of each quote
 * kind, joined with "+", " + " or "+\n  ": blocked (buffer and stream);
 * everyday concatenation and arithmetic are not. */
START_TEST(concat_literals)
{
	static const char *const seps[] = { "+", " + ", " +\n    " };
	static const char quotes[] = "\"'`";
	static const char *const clean[] = {
		"var msg = \"Hello, \" + name + \"!\"; el.style.width = w + \"px\"; i = i + 1;",
		"const cls = 'btn' + ' ' + 'btn-primary' + ' ' + 'is-large-' + size;",
		"url = \"https://registry.npmjs.org/\" + \"left-pad\" + \"/-/left-pad-1.3.0.tgz\";",
		"\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"",
		"h = \"3f9a10c2\" + \"77e10b5d\" + \"aa4219c0\" + \"deadbeef\"; /* a digest in parts */",
		NULL,
	};
	const char *const vals[] = { GH, TOK };
	struct brk_scan_engine *e = engine_tok();
	size_t v, n, k, q, i;

	for (v = 0; v < 2; v++)
		for (n = 2; n <= 9; n++)
			for (k = 0; k < 3; k++)
				for (q = 0; q < 3; q++) {
					struct tu_buf b = { 0 }, m;

					concat(vals[v], n, quotes[q], seps[k], &b);
					m = post("application/javascript", b.p, b.len);
					ck_assert_msg(blocked_both(e, &m) == 2, "value %zu every %zu sep %zu quote %c",
						      v, n, k, quotes[q]);
					free(m.p);
					free(b.p);
				}
	for (i = 0; clean[i]; i++) {
		struct tu_buf m = post("application/javascript", clean[i], strlen(clean[i]));

		ck_assert_msg(clean_both(e, &m), "clean %zu", i);
		free(m.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

/* The block edges of the fast paths (concat: 64-byte AVX2 blocks, then
 * memchr; unspell: 16-byte SSE2 blocks, then a masked last one; the
 * trigger reject's pair tables): the PAT reversed, ROT-13 and as "+"
 * joined literals, after 0..140 blanks, near the buffer's end (nothing
 * after it), at each SIMD level: blocked (buffer and stream). */
START_TEST(unspell_concat_offsets)
{
	struct brk_scan_engine *e = engine_tok();
	char rv[64], r13[64];
	size_t pad, f;
	int simd;

	spell(GH, strlen(GH), 1, 0, rv);
	spell(GH, strlen(GH), 0, 13, r13);
	for (simd = 0; simd <= 2; simd++) {
		brk_scan_dec_simd = simd;
		for (pad = 0; pad <= 140; pad++)
			for (f = 0; f < 4; f++) {
				struct tu_buf b = { 0 }, m;
				size_t j;

				for (j = 0; j < pad; j++)
					tu_cat(&b, " ", 1);
				if (f == 0)
					tu_cats(&b, rv);
				else if (f == 1)
					tu_cats(&b, r13);
				else if (f == 2)
					concat(GH, 5, '"', "+", &b);
				else
					concat(GH, 7, '\'', " + ", &b);
				if (f >= 2)   /* the chain at the very end: no tail */
					b.len -= strlen(";\nfetch(u, {method: 'POST', body: t});\n");
				m = post("application/javascript", b.p, b.len);
				ck_assert_msg(blocked_both(e, &m) == 2, "simd %d pad %zu form %zu", simd, pad, f);
				free(m.p);
				free(b.p);
			}
	}
	brk_scan_dec_simd = 2;
	brk_scan_engine_free(e);
}
END_TEST

/* ---- tokens cut every n by one separator (dec_unsep.c) -------------- */

/* v with sep after its first o bytes and then every n */
static void cut(const char *v, size_t n, size_t o, char sep, struct tu_buf *b)
{
	size_t i, l = strlen(v);

	tu_cat(b, v, o);
	for (i = o; i < l; i += n) {
		if (i)
			tu_cat(b, &sep, 1);
		tu_cat(b, v + i, l - i < n ? l - i : n);
	}
}

/* A PAT and a known secret cut every 2..8 bytes by each separator at
 * every offset: blocked (buffer and stream in 7-byte writes); the same
 * at the AVX2 block edges (after 0..140 blanks) at each SIMD level; and
 * the hex of hex of both. Versions, dates, snake_case, dotted names,
 * UUIDs, MACs, a digest cut in fours and a PAT-looking word cut are not. */
START_TEST(cut_tokens)
{
	static const char seps[] = "_-.:,;/|";
	static const char *const clean[] = {
		"const MAX_BUFFER_SIZE_LIMIT = get_user_by_id_and_name(abc_def_ghi_jkl_mno_pqr);",
		"\"tarball\":\"https://registry.npmjs.org/pkg-10853/-/pkg-10853-12.35.12.tgz\"",
		"2024-01-15T10:20:30.000Z 192.168.100.200 00:1a:2b:3c:4d:5e:6f:70 v1.22.333.4444",
		"123e4567-e89b-12d3-a456-426614174000 org.apache.commons.lang3.text.StrBuilder",
		"a1b2_c3d4_e5f6_0000 x86_64_linux_gnu_2_36 img_0001_0002_0003.png 1.2.3.4.5.6.7.8.9",
		"3f9a-10c2-77e1-0b5d-aa42-19c0-dead-beef gh_p_re_ad_me_se_ct_io_n_ti_tl_e_in_do_cs",
		NULL,
	};
	const char *const vals[] = { GH, TOK };
	struct brk_scan_engine *e = engine_tok();
	size_t v, n, o, k, i, pad;
	int simd;

	for (v = 0; v < 2; v++)
		for (k = 0; seps[k]; k++)
			for (n = 2; n <= 8; n++)
				for (o = 0; o < n; o++) {
					struct tu_buf b = { 0 }, m;

					tu_cats(&b, "x ");
					cut(vals[v], n, o, seps[k], &b);
					m = post("text/plain", b.p, b.len);
					ck_assert_msg(blocked_both(e, &m) == 2, "value %zu sep %c every %zu at %zu",
						      v, seps[k], n, o);
					free(m.p);
					free(b.p);
				}
	for (simd = 0; simd <= 2; simd++) {
		brk_scan_dec_simd = simd;
		for (pad = 0; pad <= 140; pad++) {
			struct tu_buf b = { 0 }, m;

			for (i = 0; i < pad; i++)
				tu_cat(&b, " ", 1);
			cut(GH, 3 + pad % 4, 1 + pad % 2, "_-."[pad % 3], &b);
			m = post("text/plain", b.p, b.len);
			ck_assert_msg(blocked_both(e, &m) == 2, "simd %d pad %zu", simd, pad);
			free(m.p);
			free(b.p);
		}
	}
	brk_scan_dec_simd = 2;
	for (v = 0; v < 2; v++) {
		struct tu_buf b = { 0 }, m;
		size_t l = strlen(vals[v]);

		char h1[2 * 64 + 1], h2[4 * 64 + 1];

		for (i = 0; i < l; i++)
			snprintf(h1 + 2 * i, 3, "%02x", (unsigned char)vals[v][i]);
		for (i = 0; i < 2 * l; i++)   /* hex of hex: digits only */
			snprintf(h2 + 2 * i, 3, "%02x", (unsigned char)h1[i]);
		tu_cat(&b, h2, 4 * l);
		m = post("text/plain", b.p, b.len);
		ck_assert_msg(blocked_both(e, &m) == 2, "hex of hex %zu", v);
		free(m.p);
		free(b.p);
	}
	for (i = 0; clean[i]; i++) {
		struct tu_buf m = post("text/plain", clean[i], strlen(clean[i]));

		ck_assert_msg(clean_both(e, &m), "clean %zu", i);
		free(m.p);
	}
	brk_scan_engine_free(e);
}
END_TEST

Suite *scan_redteam_suite(void)
{
	Suite *s = suite_create("scan_redteam");
	TCase *tc = tcase_create("redteam");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, zip_members);
	tcase_add_test(tc, zlib_after_text);
	tcase_add_test(tc, folded_header);
	tcase_add_test(tc, known_disguised);
	tcase_add_test(tc, known_variants);
	tcase_add_test(tc, close_negatives);
	tcase_add_test(tc, websocket_frames);
	tcase_add_test(tc, split_h2_and_cookies);
	tcase_add_test(tc, h2_interleaved_bodies);
	tcase_add_test(tc, pattern_unspelled);
	tcase_add_test(tc, concat_literals);
	tcase_add_test(tc, unspell_concat_offsets);
	tcase_add_test(tc, cut_tokens);
	suite_add_tcase(s, tc);
	return s;
}
