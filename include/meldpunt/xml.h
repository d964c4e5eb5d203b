/* xml.h - writing XML 1.0 into an mp_buf: escaped character data and
 * attribute values, start and end tags, empty elements and the declaration.
 * The one XML writer of the server: the Open311 documents (open311.h) and
 * the GPX worklists are built on it.
 *
 * Text policy, the same in every escaper. Input is taken as UTF-8 and the
 * output is always well-formed UTF-8 that an XML 1.0 parser accepts:
 *   - & < > are written as &amp; &lt; &gt; (so "]]>" never appears), and CR as
 *     &#13; (a parser would turn a literal CR into LF);
 *   - every byte sequence that is not a character XML 1.0 allows is REPLACED
 *     by U+FFFD (never dropped, so that a reader sees that something was
 *     there): C0 controls other than tab, LF and CR, NUL included; DEL and
 *     the C1 controls U+0080..U+009F (allowed by XML 1.0 but discouraged, and
 *     refused by the server's own input checks); U+FFFE and U+FFFF;
 *     surrogates, overlong forms and code points above U+10FFFF;
 *   - one U+FFFD stands for one broken sequence: a lead byte together with
 *     the continuation bytes that follow it, at most as many as the lead
 *     byte announces (a truncated sequence is one U+FFFD, and the byte that
 *     broke it is read afresh), or one byte that cannot start a sequence.
 * Valid UTF-8 text without those characters comes out unchanged apart from
 * the references above.
 *
 * Names (element and attribute names) are the caller's static strings and
 * are written as they are: they never come from a request.
 *
 * Errors surface as b->failed (see buf.h). Thread-safety: none needed; the
 * functions keep no state.
 */
#ifndef MELDPUNT_XML_H
#define MELDPUNT_XML_H

#include <stdbool.h>

#include "meldpunt/buf.h"

/* Character data for element content; NULL writes nothing. Quotes stay as
 * they are. */
void mp_xml_text(struct mp_buf *b, const char *s);

/* s escaped for use between double quotes as an attribute value: as
 * mp_xml_text, and also " and ' as &quot; and &apos;, and tab and LF as
 * &#9; and &#10; (attribute-value normalisation would turn them into
 * spaces). The result is valid element content as well, for writers that
 * escape quotes everywhere. NULL writes nothing. */
void mp_xml_attr_value(struct mp_buf *b, const char *s);

/* As mp_xml_text, but quotes as &quot; and &apos; too (tab and LF stay):
 * the spelling of the GPX worklist's element content. */
void mp_xml_text_quoted(struct mp_buf *b, const char *s);

/* <?xml version="1.0" encoding="UTF-8"?> and a line feed. */
void mp_xml_decl(struct mp_buf *b);

/* <name> and </name>. */
void mp_xml_open(struct mp_buf *b, const char *name);
void mp_xml_close(struct mp_buf *b, const char *name);
/* <name/>. */
void mp_xml_empty(struct mp_buf *b, const char *name);
/* <name>text</name> with text as mp_xml_text writes it; <name/> when text is
 * NULL. */
void mp_xml_element(struct mp_buf *b, const char *name, const char *text);

/* A start tag with attributes: mp_xml_start writes "<name", each
 * mp_xml_attr* one ` key="value"`, then mp_xml_start_done ">" or
 * mp_xml_start_empty "/>". */
void mp_xml_start(struct mp_buf *b, const char *name);
void mp_xml_attr(struct mp_buf *b, const char *key, const char *value);
/* A number with at most `decimals` decimals, trailing zeros trimmed (as
 * mp_json_num writes it, so never "-0"); a number JSON would write as null
 * (NaN, infinities, beyond 1e300) writes an empty value. */
void mp_xml_attr_num(struct mp_buf *b, const char *key, double v, int decimals);
void mp_xml_start_done(struct mp_buf *b);
void mp_xml_start_empty(struct mp_buf *b);

#endif
