/* Lines of a trace file or pipe, decompressed on the fly.
 *
 * The codec is told by the first bytes (gzip 1f 8b, xz fd 37 7a 58 5a 00,
 * zstd 28 b5 2f fd), not by the name, so a pipe works as well as a file;
 * concatenated members or frames are read through. Lines are assembled in
 * one growing buffer: a line spanning reads is moved to its front. */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_createDCtx_advanced: our allocator */
#include <zstd.h>
#include "trace.h"
#include "mem.h"

#define RP_CHUNK	(256u << 10)

enum rp_codec { RP_PLAIN, RP_GZIP, RP_XZ, RP_ZSTD };
static const char *const codec_names[] = { "plain", "gzip", "xz", "zstd" };

struct rp_input {
	int fd;
	bool own_fd;
	bool raw_eof;		/* no more compressed input */
	bool eof;		/* no more text */
	enum rp_codec codec;
	unsigned char *raw;	/* compressed input */
	size_t raw_pos, raw_len, raw_cap;
	char *buf;		/* text: [pos, len) not yet returned */
	size_t pos, len, cap;
	char error[160];
	z_stream z;
	lzma_stream xz;	/* LZMA_STREAM_INIT is all zeroes */
	ZSTD_DCtx *zstd;
	bool codec_live;	/* the decoder needs its end call */
	bool in_frame;		/* inside a gzip member or zstd frame */
};

static volatile sig_atomic_t input_interrupted;

void rp_input_interrupt(void)
{
	input_interrupted = 1;
}

/* Appends what the file gives to raw[]; called when all of it was used
 * (or, at the start, to have the magic bytes). */
static bool read_raw(struct rp_input *in)
{
	ssize_t n;

	if (in->raw_pos == in->raw_len)
		in->raw_pos = in->raw_len = 0;
	if (input_interrupted) {
		in->raw_eof = true;
		return false;
	}
	n = read(in->fd, in->raw + in->raw_len, RP_CHUNK - in->raw_len);
	if (n < 0 && errno == EINTR && input_interrupted) {
		in->raw_eof = true;
		return false;
	}
	if (n < 0 && errno == EINTR)
		return true;
	if (n < 0) {
		snprintf(in->error, sizeof(in->error), "read: %s", strerror(errno));
		in->raw_eof = true;
		return false;
	}
	if (n == 0)
		in->raw_eof = true;
	in->raw_len += (size_t)n;
	return n > 0;
}

static void detect_codec(struct rp_input *in)
{
	static const unsigned char gz[] = { 0x1f, 0x8b };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };
	static const unsigned char zs[] = { 0x28, 0xb5, 0x2f, 0xfd };

	while (in->raw_len < sizeof(xz) && !in->raw_eof)
		read_raw(in);
	if (in->raw_len >= sizeof(gz) && !memcmp(in->raw, gz, sizeof(gz)))
		in->codec = RP_GZIP;
	else if (in->raw_len >= sizeof(xz) && !memcmp(in->raw, xz, sizeof(xz)))
		in->codec = RP_XZ;
	else if (in->raw_len >= sizeof(zs) && !memcmp(in->raw, zs, sizeof(zs)))
		in->codec = RP_ZSTD;
	else
		in->codec = RP_PLAIN;
}

/* The decoders' memory comes from mappings too (mem.h). */
static void *zlib_alloc(void *opaque, uInt n, uInt size)
{
	(void)opaque;
	return rp_big_malloc((size_t)n * size);
}

static void zlib_free(void *opaque, void *p)
{
	(void)opaque;
	rp_big_release(p);
}

static void *lzma_alloc_cb(void *opaque, size_t n, size_t size)
{
	(void)opaque;
	return rp_big_malloc(n * size);
}

static void *zstd_alloc_cb(void *opaque, size_t size)
{
	(void)opaque;
	return rp_big_malloc(size);
}

static void big_free_cb(void *opaque, void *p)
{
	(void)opaque;
	rp_big_release(p);
}

static const lzma_allocator xz_allocator = { lzma_alloc_cb, big_free_cb, NULL };

static bool codec_init(struct rp_input *in)
{
	switch (in->codec) {
	case RP_GZIP:
		in->z.zalloc = zlib_alloc;
		in->z.zfree = zlib_free;
		/* 15 + 32: a zlib or gzip header, told apart by inflate */
		if (inflateInit2(&in->z, 15 + 32) != Z_OK)
			return false;
		break;
	case RP_XZ:
		in->xz.allocator = &xz_allocator;
		if (lzma_stream_decoder(&in->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
			return false;
		break;
	case RP_ZSTD:
		in->zstd = ZSTD_createDCtx_advanced((ZSTD_customMem){ zstd_alloc_cb, big_free_cb, NULL });
		if (!in->zstd)
			return false;
		break;
	case RP_PLAIN:
		break;
	}
	in->codec_live = true;
	return true;
}

struct rp_input *rp_input_open(const char *path, char *err, size_t err_len)
{
	struct rp_input *in = calloc(1, sizeof(*in));

	if (!in) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	input_interrupted = 0;
	if (!strcmp(path, "-")) {
		in->fd = 0;
	} else {
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			snprintf(err, err_len, "%s: %s", path, strerror(errno));
			free(in);
			return NULL;
		}
		in->own_fd = true;
	}
	/* outside the heap, like the rest of the trace (mem.h) */
	rp_big_reserve((void **)&in->raw, &in->raw_cap, RP_CHUNK, 1);
	rp_big_reserve((void **)&in->buf, &in->cap, 2 * RP_CHUNK, 1);
	detect_codec(in);
	if (!codec_init(in)) {
		snprintf(err, err_len, "%s: cannot start the %s decoder", path, codec_names[in->codec]);
		rp_input_close(in);
		return NULL;
	}
	return in;
}

static void codec_error(struct rp_input *in, const char *what)
{
	snprintf(in->error, sizeof(in->error), "%s data: %s", codec_names[in->codec], what);
	in->eof = true;
}

/* Decompresses into buf[len, cap); false once the text has ended (an
 * error, if any, is in in->error). */
static bool fill_text(struct rp_input *in)
{
	size_t room = in->cap - in->len - 1;	/* room for the last line's NUL */

	for (;;) {
		bool finishing = false;
		size_t out = 0;

		if (in->raw_pos == in->raw_len && !in->raw_eof)
			read_raw(in);
		if (in->raw_pos == in->raw_len) {
			if (!in->raw_eof)
				continue;	/* interrupted before any byte */
			finishing = true;
		}
		unsigned char *src = in->raw + in->raw_pos;
		size_t avail = in->raw_len - in->raw_pos;

		switch (in->codec) {
		case RP_PLAIN:
			out = avail < room ? avail : room;
			memcpy(in->buf + in->len, src, out);
			in->raw_pos += out;
			break;
		case RP_GZIP: {
			if (finishing) {
				if (in->in_frame)
					codec_error(in, "truncated");
				break;
			}
			in->z.next_in = src;
			in->z.avail_in = (uInt)avail;
			in->z.next_out = (Bytef *)in->buf + in->len;
			in->z.avail_out = (uInt)room;
			int r = inflate(&in->z, Z_NO_FLUSH);

			out = room - in->z.avail_out;
			in->raw_pos += avail - in->z.avail_in;
			in->in_frame = r != Z_STREAM_END;
			if (r == Z_STREAM_END)
				inflateReset(&in->z);	/* another member may follow */
			else if (r != Z_OK && r != Z_BUF_ERROR)
				codec_error(in, in->z.msg ? in->z.msg : "corrupt");
			break;
		}
		case RP_XZ: {
			in->xz.next_in = src;
			in->xz.avail_in = avail;
			in->xz.next_out = (uint8_t *)in->buf + in->len;
			in->xz.avail_out = room;
			/* LZMA_CONCATENATED ends only on LZMA_FINISH */
			lzma_ret r = lzma_code(&in->xz, finishing ? LZMA_FINISH : LZMA_RUN);

			out = room - in->xz.avail_out;
			in->raw_pos += avail - in->xz.avail_in;
			if (r == LZMA_STREAM_END)
				finishing = true;
			else if (r != LZMA_OK || (finishing && !out))
				codec_error(in, r == LZMA_OK || r == LZMA_BUF_ERROR ?
					    "truncated" : "corrupt");
			break;
		}
		case RP_ZSTD: {
			if (finishing) {
				if (in->in_frame)
					codec_error(in, "truncated");
				break;
			}
			ZSTD_inBuffer ib = { src, avail, 0 };
			ZSTD_outBuffer ob = { in->buf + in->len, room, 0 };
			size_t r = ZSTD_decompressStream(in->zstd, &ob, &ib);

			out = ob.pos;
			in->raw_pos += ib.pos;
			if (ZSTD_isError(r))
				codec_error(in, ZSTD_getErrorName(r));
			else
				in->in_frame = r != 0;	/* 0: a frame ended and is flushed */
			break;
		}
		}
		in->len += out;
		if (out)
			return true;
		if (finishing || in->eof) {
			in->eof = true;
			return false;
		}
	}
}

char *rp_input_line(struct rp_input *in, size_t *len, bool *complete)
{
	size_t scan = in->pos;

	for (;;) {
		char *nl = memchr(in->buf + scan, '\n', in->len - scan);

		if (nl) {
			char *line = in->buf + in->pos;

			*nl = '\0';
			*len = (size_t)(nl - line);
			*complete = true;
			in->pos = (size_t)(nl - in->buf) + 1;
			return line;
		}
		if (in->eof) {
			if (in->pos == in->len)
				return NULL;
			/* a last line without its newline */
			in->buf[in->len] = '\0';
			*len = in->len - in->pos;
			*complete = false;
			in->pos = in->len;
			return in->buf + in->pos - *len;
		}
		/* Keep the partial line and make room for more text. */
		if (in->pos) {
			memmove(in->buf, in->buf + in->pos, in->len - in->pos);
			in->len -= in->pos;
			in->pos = 0;
		}
		scan = in->len;
		if (in->cap - in->len < RP_CHUNK + 1)
			rp_big_reserve((void **)&in->buf, &in->cap, in->cap + 1, 1);
		fill_text(in);
	}
}

const char *rp_input_codec(const struct rp_input *in)
{
	return codec_names[in->codec];
}

const char *rp_input_error(const struct rp_input *in)
{
	return in->error;
}

void rp_input_close(struct rp_input *in)
{
	if (!in)
		return;
	if (in->codec_live) {
		if (in->codec == RP_GZIP)
			inflateEnd(&in->z);
		else if (in->codec == RP_XZ)
			lzma_end(&in->xz);
		else if (in->codec == RP_ZSTD)
			ZSTD_freeDCtx(in->zstd);
	}
	if (in->own_fd)
		close(in->fd);
	rp_big_free(in->raw, in->raw_cap, 1);
	rp_big_free(in->buf, in->cap, 1);
	free(in);
}
