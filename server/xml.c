/* xml.c - the XML writer: escaping with UTF-8 validation, tags. */
#include "meldpunt/xml.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* What besides & < > CR and the illegal characters becomes a reference. */
enum {
    ESC_QUOTES = 1,     /* " and ' */
    ESC_WHITESPACE = 2, /* tab and LF */
};

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
static void replacement(struct mp_buf *b)
{
    mp_buf_lit(b, "\xEF\xBF\xBD");
}

/* The reference for ASCII byte c, "" when c is written as it is, or NULL
 * when c is no XML character (replaced). */
static const char *ascii_ref(unsigned char c, unsigned flags)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '\r': return "&#13;";
    case '"': return flags & ESC_QUOTES ? "&quot;" : "";
    case '\'': return flags & ESC_QUOTES ? "&apos;" : "";
    case '\t': return flags & ESC_WHITESPACE ? "&#9;" : "";
    case '\n': return flags & ESC_WHITESPACE ? "&#10;" : "";
    default:
        /* XML 1.0 has no way to carry C0 controls other than tab, LF and CR;
         * DEL is allowed but discouraged, like the C1 block below. */
        return c < 0x20 || c == 0x7F ? NULL : "";
    }
}

/* The length of the valid, allowed multi-byte character at p (p[0] >= 0x80,
 * n bytes available), or 0 with *skip set to the bytes one U+FFFD replaces. */
static size_t utf8_char(const unsigned char *p, size_t n, size_t *skip)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        *skip = 1; /* a continuation byte or 0xF8..0xFF: cannot start one */
        return 0;
    }
    size_t i = 1;
    while (i < len && i < n && (p[i] & 0xC0) == 0x80) {
        cp = (cp << 6) | (p[i] & 0x3F);
        i++;
    }
    if (i < len) {
        *skip = i; /* truncated: the byte that broke it is read afresh */
        return 0;
    }
    /* Overlong forms, beyond Unicode, surrogates, the C1 controls and the two
     * non-characters XML excludes. */
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
        cp == 0xFFFF || (cp >= 0x80 && cp <= 0x9F)) {
        *skip = len;
        return 0;
    }
    return len;
}

static void escape(struct mp_buf *b, const char *s, unsigned flags)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t run = 0; /* bytes at p that go out as they are */
    while (run < n) {
        unsigned char c = p[run];
        if (c < 0x80) {
            const char *ref = ascii_ref(c, flags);
            if (ref && !*ref) {
                run++;
                continue;
            }
            mp_buf_add(b, p, run);
            if (ref)
                mp_buf_adds(b, ref);
            else
                replacement(b);
            p += run + 1;
            n -= run + 1;
            run = 0;
            continue;
        }
        size_t skip = 0, len = utf8_char(p + run, n - run, &skip);
        if (len) {
            run += len;
            continue;
        }
        mp_buf_add(b, p, run);
        replacement(b);
        p += run + skip;
        n -= run + skip;
        run = 0;
    }
    mp_buf_add(b, p, run);
}

void mp_xml_text(struct mp_buf *b, const char *s)
{
    escape(b, s, 0);
}

void mp_xml_attr_value(struct mp_buf *b, const char *s)
{
    escape(b, s, ESC_QUOTES | ESC_WHITESPACE);
}

void mp_xml_text_quoted(struct mp_buf *b, const char *s)
{
    escape(b, s, ESC_QUOTES);
}

void mp_xml_decl(struct mp_buf *b)
{
    mp_buf_lit(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

void mp_xml_open(struct mp_buf *b, const char *name)
{
    mp_buf_addc(b, '<');
    mp_buf_adds(b, name);
    mp_buf_addc(b, '>');
}

void mp_xml_close(struct mp_buf *b, const char *name)
{
    mp_buf_lit(b, "</");
    mp_buf_adds(b, name);
    mp_buf_addc(b, '>');
}

void mp_xml_empty(struct mp_buf *b, const char *name)
{
    mp_buf_addc(b, '<');
    mp_buf_adds(b, name);
    mp_buf_lit(b, "/>");
}

void mp_xml_element(struct mp_buf *b, const char *name, const char *text)
{
    if (!text) {
        mp_xml_empty(b, name);
        return;
    }
    mp_xml_open(b, name);
    mp_xml_text(b, text);
    mp_xml_close(b, name);
}

void mp_xml_start(struct mp_buf *b, const char *name)
{
    mp_buf_addc(b, '<');
    mp_buf_adds(b, name);
}

static void attr_key(struct mp_buf *b, const char *key)
{
    mp_buf_addc(b, ' ');
    mp_buf_adds(b, key);
    mp_buf_lit(b, "=\"");
}

void mp_xml_attr(struct mp_buf *b, const char *key, const char *value)
{
    attr_key(b, key);
    mp_xml_attr_value(b, value);
    mp_buf_addc(b, '"');
}

void mp_xml_attr_num(struct mp_buf *b, const char *key, double v, int decimals)
{
    attr_key(b, key);
    if (isfinite(v) && fabs(v) <= 1e300) /* what mp_json_num would write as null */
        mp_json_num(b, v, decimals);
    mp_buf_addc(b, '"');
}

void mp_xml_start_done(struct mp_buf *b)
{
    mp_buf_addc(b, '>');
}

void mp_xml_start_empty(struct mp_buf *b)
{
    mp_buf_lit(b, "/>");
}
