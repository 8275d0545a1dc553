/* pngstat: what a PNG shows, for tests that must tell a rendered picture
 * from a blank one without Python or ImageMagick.
 *
 *   pngstat FILE [RRGGBB...]
 *
 * prints "width W height H colors N nonbg F", where N counts the distinct
 * colours and F is the fraction of pixels not of the most frequent
 * (background) colour, then "color RRGGBB COUNT" for each colour asked.
 * Reads 8-bit non-interlaced greyscale, RGB, palette, grey+alpha and RGBA
 * images (what browsers write); exits 1 with a message on anything else. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void die(const char *msg)
{
	fprintf(stderr, "pngstat: %s\n", msg);
	exit(1);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("cannot open the file");
	size_t cap = 1 << 16, n = 0, got;
	unsigned char *buf = malloc(cap);
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		die("out of memory");
	*len = n;
	return buf;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* Undoes the per-row filters in place; rows are 1 filter byte + stride. */
static void unfilter(unsigned char *data, uint32_t height, size_t stride, size_t bpp)
{
	unsigned char *prev = NULL;
	for (uint32_t y = 0; y < height; y++) {
		unsigned char *row = data + (size_t)y * (stride + 1);
		int type = row[0];
		unsigned char *px = row + 1;
		for (size_t i = 0; i < stride; i++) {
			int a = i >= bpp ? px[i - bpp] : 0, b = prev ? prev[i] : 0, c = prev && i >= bpp ? prev[i - bpp] : 0;
			switch (type) {
			case 0: break;
			case 1: px[i] += a; break;
			case 2: px[i] += b; break;
			case 3: px[i] += (a + b) / 2; break;
			case 4: px[i] += paeth(a, b, c); break;
			default: die("unknown row filter");
			}
		}
		prev = px;
	}
}

struct counts {
	uint64_t *key; /* colour + 1, 0 empty */
	size_t *n;
	size_t cap, used;
};

static void count(struct counts *c, uint32_t rgba)
{
	if (c->used * 2 >= c->cap) {
		struct counts old = *c;
		c->cap = old.cap ? old.cap * 2 : 1024;
		c->used = 0;
		c->key = calloc(c->cap, sizeof(*c->key));
		c->n = calloc(c->cap, sizeof(*c->n));
		if (!c->key || !c->n)
			die("out of memory");
		for (size_t i = 0; i < old.cap; i++)
			if (old.key[i]) {
				size_t j = (size_t)(old.key[i] * 0x9e3779b97f4a7c15ull >> 20) & (c->cap - 1);
				while (c->key[j])
					j = (j + 1) & (c->cap - 1);
				c->key[j] = old.key[i];
				c->n[j] = old.n[i];
				c->used++;
			}
		free(old.key);
		free(old.n);
	}
	uint64_t k = (uint64_t)rgba + 1;
	size_t j = (size_t)(k * 0x9e3779b97f4a7c15ull >> 20) & (c->cap - 1);
	while (c->key[j] && c->key[j] != k)
		j = (j + 1) & (c->cap - 1);
	if (!c->key[j]) {
		c->key[j] = k;
		c->used++;
	}
	c->n[j]++;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: pngstat FILE [RRGGBB...]");
	size_t len;
	unsigned char *png = read_file(argv[1], &len);
	if (len < 8 || memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0)
		die("not a PNG file");
	uint32_t width = 0, height = 0;
	int depth = 0, ctype = -1, interlace = 0;
	unsigned char palette[256][3] = {{0}};
	unsigned char *idat = NULL;
	size_t nidat = 0;
	for (size_t off = 8; off + 12 <= len;) {
		uint32_t clen = be32(png + off);
		const unsigned char *type = png + off + 4, *data = png + off + 8;
		if (clen > len - off - 12)
			die("truncated chunk");
		if (memcmp(type, "IHDR", 4) == 0 && clen >= 13) {
			width = be32(data);
			height = be32(data + 4);
			depth = data[8];
			ctype = data[9];
			interlace = data[12];
		} else if (memcmp(type, "PLTE", 4) == 0) {
			memcpy(palette, data, clen > sizeof(palette) ? sizeof(palette) : clen);
		} else if (memcmp(type, "IDAT", 4) == 0) {
			idat = realloc(idat, nidat + clen);
			if (!idat)
				die("out of memory");
			memcpy(idat + nidat, data, clen);
			nidat += clen;
		} else if (memcmp(type, "IEND", 4) == 0) {
			break;
		}
		off += 12 + (size_t)clen;
	}
	static const int channels[7] = {1, 0, 3, 1, 2, 0, 4};
	if (!width || !height || width > 100000 || height > 100000)
		die("no IHDR or an absurd size");
	if (depth != 8 || ctype < 0 || ctype > 6 || !channels[ctype] || interlace)
		die("only 8-bit, non-interlaced PNGs are read");
	size_t bpp = (size_t)channels[ctype], stride = (size_t)width * bpp;
	uLongf rawlen = (uLongf)((stride + 1) * height);
	unsigned char *raw = malloc(rawlen);
	if (!raw || !idat)
		die(raw ? "no IDAT chunk" : "out of memory");
	if (uncompress(raw, &rawlen, idat, nidat) != Z_OK || rawlen != (stride + 1) * height)
		die("IDAT does not inflate to the image size");
	unfilter(raw, height, stride, bpp);

	struct counts c = {0};
	for (uint32_t y = 0; y < height; y++) {
		const unsigned char *px = raw + (size_t)y * (stride + 1) + 1;
		for (uint32_t x = 0; x < width; x++, px += bpp) {
			unsigned char r, g, b, a = 255;
			switch (ctype) {
			case 0: r = g = b = px[0]; break;
			case 2: r = px[0], g = px[1], b = px[2]; break;
			case 3: r = palette[px[0]][0], g = palette[px[0]][1], b = palette[px[0]][2]; break;
			case 4: r = g = b = px[0], a = px[1]; break;
			default: r = px[0], g = px[1], b = px[2], a = px[3]; break;
			}
			count(&c, (uint32_t)r << 24 | (uint32_t)g << 16 | (uint32_t)b << 8 | a);
		}
	}
	size_t most = 0;
	for (size_t i = 0; i < c.cap; i++)
		if (c.key[i] && c.n[i] > most)
			most = c.n[i];
	double total = (double)width * height;
	printf("width %u height %u colors %zu nonbg %.4f\n", width, height, c.used, (total - (double)most) / total);
	for (int i = 2; i < argc; i++) {
		unsigned long want = strtoul(argv[i], NULL, 16);
		size_t n = 0;
		for (size_t k = 0; k < c.cap; k++)
			if (c.key[k] && ((c.key[k] - 1) >> 8) == want)
				n += c.n[k];
		printf("color %s %zu\n", argv[i], n);
	}
	free(c.key);
	free(c.n);
	free(raw);
	free(idat);
	free(png);
	return 0;
}
