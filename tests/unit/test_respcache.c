/* test_respcache.c - the answer cache: hits only at the same version, the
 * least recently used entry goes first, bodies over the bound are not kept,
 * a handed-out descriptor outlives its entry, and bodies cannot be changed
 * through it; hits, misses and stored answers are counted. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "meldpunt/respcache.h"

/* The cached body for key at version as a string ("" on a miss). */
static char *get(struct mp_respcache *c, const char *key, int64_t version)
{
    static char out[4096];
    int fd;
    size_t len;
    out[0] = '\0';
    if (!mp_respcache_get_fd(c, key, version, &fd, &len))
        return out;
    assert_true(len < sizeof out);
    assert_int_equal(pread(fd, out, len, 0), (ssize_t)len);
    out[len] = '\0';
    close(fd);
    return out;
}

static void test_hit_only_at_same_version(void **state)
{
    (void)state;
    struct mp_respcache *c = NULL;
    assert_int_equal(mp_respcache_new(4, 1024, false, &c), MP_OK);
    mp_respcache_put(c, "/a?x=1", 7, "{\"a\":1}", 7);
    assert_string_equal(get(c, "/a?x=1", 7), "{\"a\":1}");
    assert_string_equal(get(c, "/a?x=1", 8), ""); /* something changed since */
    assert_string_equal(get(c, "/a?x=2", 7), "");
    /* A newer answer for the same key replaces the old one. */
    mp_respcache_put(c, "/a?x=1", 8, "{\"a\":2}", 7);
    assert_string_equal(get(c, "/a?x=1", 8), "{\"a\":2}");
    assert_string_equal(get(c, "/a?x=1", 7), "");
    /* An empty body is a body. */
    mp_respcache_put(c, "/empty", 8, "", 0);
    int fd;
    size_t len = 99;
    assert_true(mp_respcache_get_fd(c, "/empty", 8, &fd, &len));
    assert_int_equal(len, 0);
    close(fd);
    mp_respcache_free(c);
}

static void test_lru_and_bounds(void **state)
{
    (void)state;
    struct mp_respcache *c = NULL;
    assert_int_equal(mp_respcache_new(2, 16, false, &c), MP_OK);
    mp_respcache_put(c, "/1", 1, "one", 3);
    mp_respcache_put(c, "/2", 1, "two", 3);
    assert_string_equal(get(c, "/1", 1), "one"); /* /2 is now the least recently used */
    mp_respcache_put(c, "/3", 1, "three", 5);
    assert_string_equal(get(c, "/2", 1), "");
    assert_string_equal(get(c, "/1", 1), "one");
    assert_string_equal(get(c, "/3", 1), "three");
    mp_respcache_put(c, "/big", 1, "0123456789abcdefg", 17); /* over 16 bytes */
    assert_string_equal(get(c, "/big", 1), "");
    char key[600];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    mp_respcache_put(c, key, 1, "x", 1); /* key too long: not kept, no overflow */
    assert_string_equal(get(c, key, 1), "");
    assert_string_equal(get(c, "/1", 1), "one");
    mp_respcache_free(c);
}

static void test_descriptor_outlives_entry_and_is_sealed(void **state)
{
    (void)state;
    struct mp_respcache *c = NULL;
    assert_int_equal(mp_respcache_new(1, 1024, false, &c), MP_OK);
    mp_respcache_put(c, "/old", 1, "old answer", 10);
    int fd;
    size_t len;
    assert_true(mp_respcache_get_fd(c, "/old", 1, &fd, &len));
    mp_respcache_put(c, "/new", 1, "new answer", 10); /* evicts /old */
    assert_string_equal(get(c, "/old", 1), "");
    char buf[16] = {0};
    assert_int_equal(pread(fd, buf, len, 0), 10);
    assert_string_equal(buf, "old answer");
    /* Nobody can alter what is being sent. */
    assert_true(pwrite(fd, "X", 1, 0) < 0);
    assert_int_not_equal(ftruncate(fd, 0), 0);
    close(fd);
    mp_respcache_free(c);
    /* NULL cache: every look-up misses, puts are ignored. */
    mp_respcache_put(NULL, "/x", 1, "x", 1);
    assert_false(mp_respcache_get_fd(NULL, "/x", 1, &fd, &len));
    assert_int_equal(fd, -1);
}

static void test_second_sight(void **state)
{
    (void)state;
    struct mp_respcache *c = NULL;
    assert_int_equal(mp_respcache_new(4, 1024, true, &c), MP_OK);
    mp_respcache_put(c, "/once", 1, "A", 1);
    assert_string_equal(get(c, "/once", 1), ""); /* asked once: not kept */
    mp_respcache_put(c, "/once", 2, "B", 1);
    assert_string_equal(get(c, "/once", 2), ""); /* another version is another answer */
    mp_respcache_put(c, "/once", 2, "B", 1);
    assert_string_equal(get(c, "/once", 2), "B"); /* asked again: kept */
    /* Many single asks push an old first sight out of the record. */
    mp_respcache_put(c, "/old", 1, "O", 1);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "/walk/%d", i);
        mp_respcache_put(c, key, 1, "w", 1);
    }
    mp_respcache_put(c, "/old", 1, "O", 1);
    assert_string_equal(get(c, "/old", 1), "");
    mp_respcache_put(c, "/old", 1, "O", 1);
    assert_string_equal(get(c, "/old", 1), "O");
    assert_string_equal(get(c, "/once", 2), "B"); /* single asks never evicted a kept answer */
    mp_respcache_free(c);
}

/* The counters /healthz shows: every look-up is a hit or a miss, and only
 * answers really written count as stored. */
static void expect_stats(struct mp_respcache *c, uint64_t hits, uint64_t misses, uint64_t stored)
{
    struct mp_respcache_stats s;
    memset(&s, 0x5a, sizeof s);
    mp_respcache_stats(c, &s);
    if (s.hits != hits || s.misses != misses || s.stored != stored)
        print_error("hits %llu misses %llu stored %llu, expected %llu %llu %llu\n",
                    (unsigned long long)s.hits, (unsigned long long)s.misses,
                    (unsigned long long)s.stored, (unsigned long long)hits,
                    (unsigned long long)misses, (unsigned long long)stored);
    assert_true(s.hits == hits && s.misses == misses && s.stored == stored);
}

static void test_counters(void **state)
{
    (void)state;
    struct mp_respcache *c = NULL;
    assert_int_equal(mp_respcache_new(2, 8, true, &c), MP_OK);
    expect_stats(c, 0, 0, 0);
    assert_string_equal(get(c, "/k", 1), "");
    expect_stats(c, 0, 1, 0);
    mp_respcache_put(c, "/k", 1, "A", 1); /* first sight: not written */
    expect_stats(c, 0, 1, 0);
    assert_string_equal(get(c, "/k", 1), "");
    mp_respcache_put(c, "/k", 1, "A", 1); /* second: written */
    expect_stats(c, 0, 2, 1);
    assert_string_equal(get(c, "/k", 1), "A");
    assert_string_equal(get(c, "/k", 1), "A");
    expect_stats(c, 2, 2, 1);
    assert_string_equal(get(c, "/k", 2), ""); /* the data changed */
    expect_stats(c, 2, 3, 1);
    /* Too large for the bound: never written, however often asked. */
    mp_respcache_put(c, "/big", 2, "123456789", 9);
    mp_respcache_put(c, "/big", 2, "123456789", 9);
    expect_stats(c, 2, 3, 1);
    /* A key past the bound is a miss too. */
    char key[600];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_string_equal(get(c, key, 2), "");
    expect_stats(c, 2, 4, 1);
    mp_respcache_free(c);
    /* No cache, no counts. */
    struct mp_respcache_stats none;
    memset(&none, 0x5a, sizeof none);
    mp_respcache_stats(NULL, &none);
    assert_true(none.hits == 0 && none.misses == 0 && none.stored == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_only_at_same_version),
        cmocka_unit_test(test_lru_and_bounds),
        cmocka_unit_test(test_descriptor_outlives_entry_and_is_sealed),
        cmocka_unit_test(test_second_sight),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests_name("respcache", tests, NULL, NULL);
}
