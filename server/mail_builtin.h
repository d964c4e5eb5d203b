/* mail_builtin.h - PRIVATE to server/mail_pack.c: the built-in mail
 * templates, server/mail/<lang>/<name>.txt and .html, compiled into the
 * binary (cmake/mail_builtin.cmake writes them into mail_builtin.c in the
 * build directory). A city pack's own templates win; these fill in every
 * template a pack's language lacks, and give a pack without language
 * folders its languages. Static, read-only data: share it freely.
 */
#ifndef MELDPUNT_MAIL_BUILTIN_H
#define MELDPUNT_MAIL_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>

struct mp_mail_builtin {
    const char *lang; /* "en", "nl" */
    const char *name; /* "confirm", "_footer", ... */
    bool html;        /* the .html one, else the .txt one */
    const char *text; /* len bytes and a NUL */
    size_t len;
};

/* Sorted by lang, then file name (name, .html before .txt). */
extern const struct mp_mail_builtin mp_mail_builtin[];
extern const size_t mp_mail_nbuiltin;

#endif
