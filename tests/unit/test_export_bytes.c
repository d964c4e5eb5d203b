/* test_export_bytes.c - the export writers (export.h) byte for byte over
 * hand-made rows: every format, reports and clusters, public and internal,
 * with the awkward values a database can hold (NULL texts, unknown codes,
 * no or zero times, a year past 9999, a join reason that is not an object,
 * NaN and -0 coordinates, negative ids, typed contacts, quotes and commas).
 * The expected documents were written by the writers before they became
 * table-driven; any change to a byte of an export shows here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "meldpunt/city.h"
#include "meldpunt/export.h"

static const struct mp_export_report reports[] = {
    {.id = 17,
     .cluster_id = 9,
     .created_at = 1609495200,
     .updated_at = 1609581600,
     .fixed_at = 1609668000,
     .category = "pothole",
     .description = "Deep \"hole\", call 312-555-0123 or a.b@example.org",
     .address = "1200 W 97TH ST, tel 0612345678",
     .channel = "web",
     .status = "fixed",
     .district = "1",
     .external_id = "SR-21-00001",
     .join_reason = "{\"rule\":\"distance\",\"metres\":12}",
     .location = "W 97TH ST near S HARVARD AVE",
     .lon = -87.6298,
     .lat = 41.8781},
    {.id = -5,
     .cluster_id = 0,
     .created_at = 0,
     .updated_at = -86401,
     .fixed_at = 0,
     .category = "no_such_category",
     .description = "",
     .address = NULL,
     .channel = NULL,
     .status = "new",
     .district = NULL,
     .external_id = NULL,
     .join_reason = "not an object",
     .location = NULL,
     .lon = -0.0,
     .lat = NAN},
    {.id = INT64_MAX,
     .cluster_id = INT64_MIN,
     .created_at = 253402300800, /* 10000-01-01 */
     .updated_at = 1,
     .fixed_at = -1,
     .category = "=SUM(A1)",
     .description = "\xEF\xBB\xBFline one\r\nline two\ttab \xc3\xbc\x01",
     .address = "12 digits 1234567890 but no at sign",
     .channel = "phone",
     .status = "reopened",
     .district = "no_such_district",
     .external_id = "+31",
     .join_reason = NULL,
     .location = "A, \"B\"",
     .lon = 180.00000004,
     .lat = -89.99999996},
};

static const struct mp_export_cluster clusters[] = {
    {.id = 4,
     .report_count = 3,
     .first_at = 1609495200,
     .last_at = 1609581600,
     .created_at = 1609495200,
     .updated_at = 1609668000,
     .fixed_at = 1609668000,
     .category = "street_light_out",
     .status = "closed",
     .district = "2",
     .location = "N CLARK ST near W DEVON AVE",
     .lon = -87.67,
     .lat = 42.0},
    {.id = 0,
     .report_count = 0,
     .first_at = 0,
     .last_at = -7,
     .created_at = 0,
     .updated_at = 0,
     .fixed_at = 0,
     .category = "no_such_category",
     .status = "new",
     .district = NULL,
     .location = NULL,
     .lon = 1e10,
     .lat = -1e-8},
};

/* Every document: [format][what][internal]. */
static const char *const expected[3][2][2] = {
    {
        {
            "{\"type\":\"FeatureCollection\",\"features\":[\n"
            "{\"type\":\"Feature\",\"id\":17,\"geometry\":{\"type\":\"Point\",\"coordinates\""
            ":[-87.6298,41.8781]},\"properties\":{\"id\":17,\"category\":\"pothole\",\"catego"
            "ry_name\":\"Pothole in street\",\"status\":\"fixed\",\"created_at\":\"2021-01-01"
            "T10:00:00Z\",\"updated_at\":\"2021-01-02T10:00:00Z\",\"fixed_at\":\"2021-01-03T1"
            "0:00:00Z\",\"district\":\"Rogers Park\",\"location\":\"W 97TH ST near S HARVARD "
            "AVE\",\"address\":\"1200 W 97TH ST, tel [hidden]\",\"description\":\"Deep \\\"ho"
            "le\\\", call [hidden] or [hidden]\"}},\n"
            "{\"type\":\"Feature\",\"id\":-5,\"geometry\":{\"type\":\"Point\",\"coordinates\""
            ":[0,null]},\"properties\":{\"id\":-5,\"category\":\"no_such_category\",\"categor"
            "y_name\":null,\"status\":\"new\",\"created_at\":\"1970-01-01T00:00:00Z\",\"updat"
            "ed_at\":\"1969-12-30T23:59:59Z\",\"fixed_at\":null,\"district\":null,\"location\""
            ":null,\"address\":null,\"description\":\"\"}},\n"
            "{\"type\":\"Feature\",\"id\":9223372036854775807,\"geometry\":{\"type\":\"Point\""
            ",\"coordinates\":[180,-90]},\"properties\":{\"id\":9223372036854775807,\"categor"
            "y\":\"=SUM(A1)\",\"category_name\":null,\"status\":\"reopened\",\"created_at\":\""
            "9999-01-01T00:00:00Z\",\"updated_at\":\"1970-01-01T00:00:01Z\",\"fixed_at\":null"
            ",\"district\":null,\"location\":\"A, \\\"B\\\"\",\"address\":\"12 digits [hidden"
            "] but no at sign\",\"description\":\"\xef\xbb\xbfline one\\r\\nline two\\ttab \xc3"
            "\xbc\\u0001\"}}\n"
            "]}\n",
            "{\"type\":\"FeatureCollection\",\"features\":[\n"
            "{\"type\":\"Feature\",\"id\":17,\"geometry\":{\"type\":\"Point\",\"coordinates\""
            ":[-87.6298,41.8781]},\"properties\":{\"id\":17,\"category\":\"pothole\",\"catego"
            "ry_name\":\"Pothole in street\",\"status\":\"fixed\",\"created_at\":\"2021-01-01"
            "T10:00:00Z\",\"updated_at\":\"2021-01-02T10:00:00Z\",\"fixed_at\":\"2021-01-03T1"
            "0:00:00Z\",\"district\":\"Rogers Park\",\"location\":\"W 97TH ST near S HARVARD "
            "AVE\",\"address\":\"1200 W 97TH ST, tel [hidden]\",\"description\":\"Deep \\\"ho"
            "le\\\", call [hidden] or [hidden]\",\"district_code\":\"1\",\"cluster_id\":9,\"c"
            "hannel\":\"web\",\"external_id\":\"SR-21-00001\",\"join_reason\":{\"rule\":\"dis"
            "tance\",\"metres\":12}}},\n"
            "{\"type\":\"Feature\",\"id\":-5,\"geometry\":{\"type\":\"Point\",\"coordinates\""
            ":[0,null]},\"properties\":{\"id\":-5,\"category\":\"no_such_category\",\"categor"
            "y_name\":null,\"status\":\"new\",\"created_at\":\"1970-01-01T00:00:00Z\",\"updat"
            "ed_at\":\"1969-12-30T23:59:59Z\",\"fixed_at\":null,\"district\":null,\"location\""
            ":null,\"address\":null,\"description\":\"\",\"district_code\":null,\"cluster_id\""
            ":0,\"channel\":null,\"external_id\":null,\"join_reason\":null}},\n"
            "{\"type\":\"Feature\",\"id\":9223372036854775807,\"geometry\":{\"type\":\"Point\""
            ",\"coordinates\":[180,-90]},\"properties\":{\"id\":9223372036854775807,\"categor"
            "y\":\"=SUM(A1)\",\"category_name\":null,\"status\":\"reopened\",\"created_at\":\""
            "9999-01-01T00:00:00Z\",\"updated_at\":\"1970-01-01T00:00:01Z\",\"fixed_at\":null"
            ",\"district\":null,\"location\":\"A, \\\"B\\\"\",\"address\":\"12 digits [hidden"
            "] but no at sign\",\"description\":\"\xef\xbb\xbfline one\\r\\nline two\\ttab \xc3"
            "\xbc\\u0001\",\"district_code\":\"no_such_district\",\"cluster_id\":-92233720368"
            "54775808,\"channel\":\"phone\",\"external_id\":\"+31\",\"join_reason\":null}}\n"
            "]}\n",
        },
        {
            "{\"type\":\"FeatureCollection\",\"features\":[\n"
            "{\"type\":\"Feature\",\"id\":4,\"geometry\":{\"type\":\"Point\",\"coordinates\":"
            "[-87.67,42]},\"properties\":{\"id\":4,\"category\":\"street_light_out\",\"catego"
            "ry_name\":\"Street light out\",\"status\":\"closed\",\"report_count\":3,\"first_"
            "at\":\"2021-01-01T10:00:00Z\",\"last_at\":\"2021-01-02T10:00:00Z\",\"fixed_at\":"
            "\"2021-01-03T10:00:00Z\",\"updated_at\":\"2021-01-03T10:00:00Z\",\"district\":\""
            "West Ridge\",\"location\":\"N CLARK ST near W DEVON AVE\"}},\n"
            "{\"type\":\"Feature\",\"id\":0,\"geometry\":{\"type\":\"Point\",\"coordinates\":"
            "[10000000000,0]},\"properties\":{\"id\":0,\"category\":\"no_such_category\",\"ca"
            "tegory_name\":null,\"status\":\"new\",\"report_count\":0,\"first_at\":\"1970-01-"
            "01T00:00:00Z\",\"last_at\":\"1969-12-31T23:59:53Z\",\"fixed_at\":null,\"updated_"
            "at\":\"1970-01-01T00:00:00Z\",\"district\":null,\"location\":null}}\n"
            "]}\n",
            "{\"type\":\"FeatureCollection\",\"features\":[\n"
            "{\"type\":\"Feature\",\"id\":4,\"geometry\":{\"type\":\"Point\",\"coordinates\":"
            "[-87.67,42]},\"properties\":{\"id\":4,\"category\":\"street_light_out\",\"catego"
            "ry_name\":\"Street light out\",\"status\":\"closed\",\"report_count\":3,\"first_"
            "at\":\"2021-01-01T10:00:00Z\",\"last_at\":\"2021-01-02T10:00:00Z\",\"fixed_at\":"
            "\"2021-01-03T10:00:00Z\",\"updated_at\":\"2021-01-03T10:00:00Z\",\"district\":\""
            "West Ridge\",\"location\":\"N CLARK ST near W DEVON AVE\",\"district_code\":\"2\""
            "}},\n"
            "{\"type\":\"Feature\",\"id\":0,\"geometry\":{\"type\":\"Point\",\"coordinates\":"
            "[10000000000,0]},\"properties\":{\"id\":0,\"category\":\"no_such_category\",\"ca"
            "tegory_name\":null,\"status\":\"new\",\"report_count\":0,\"first_at\":\"1970-01-"
            "01T00:00:00Z\",\"last_at\":\"1969-12-31T23:59:53Z\",\"fixed_at\":null,\"updated_"
            "at\":\"1970-01-01T00:00:00Z\",\"district\":null,\"location\":null,\"district_cod"
            "e\":null}}\n"
            "]}\n",
        },
    },
    {
        {
            "\x1e{\"type\":\"Feature\",\"id\":17,\"geometry\":{\"type\":\"Point\",\"coordinat"
            "es\":[-87.6298,41.8781]},\"properties\":{\"id\":17,\"category\":\"pothole\",\"ca"
            "tegory_name\":\"Pothole in street\",\"status\":\"fixed\",\"created_at\":\"2021-0"
            "1-01T10:00:00Z\",\"updated_at\":\"2021-01-02T10:00:00Z\",\"fixed_at\":\"2021-01-"
            "03T10:00:00Z\",\"district\":\"Rogers Park\",\"location\":\"W 97TH ST near S HARV"
            "ARD AVE\",\"address\":\"1200 W 97TH ST, tel [hidden]\",\"description\":\"Deep \\"
            "\"hole\\\", call [hidden] or [hidden]\"}}\n"
            "\x1e{\"type\":\"Feature\",\"id\":-5,\"geometry\":{\"type\":\"Point\",\"coordinat"
            "es\":[0,null]},\"properties\":{\"id\":-5,\"category\":\"no_such_category\",\"cat"
            "egory_name\":null,\"status\":\"new\",\"created_at\":\"1970-01-01T00:00:00Z\",\"u"
            "pdated_at\":\"1969-12-30T23:59:59Z\",\"fixed_at\":null,\"district\":null,\"locat"
            "ion\":null,\"address\":null,\"description\":\"\"}}\n"
            "\x1e{\"type\":\"Feature\",\"id\":9223372036854775807,\"geometry\":{\"type\":\"Po"
            "int\",\"coordinates\":[180,-90]},\"properties\":{\"id\":9223372036854775807,\"ca"
            "tegory\":\"=SUM(A1)\",\"category_name\":null,\"status\":\"reopened\",\"created_a"
            "t\":\"9999-01-01T00:00:00Z\",\"updated_at\":\"1970-01-01T00:00:01Z\",\"fixed_at\""
            ":null,\"district\":null,\"location\":\"A, \\\"B\\\"\",\"address\":\"12 digits [h"
            "idden] but no at sign\",\"description\":\"\xef\xbb\xbfline one\\r\\nline two\\tt"
            "ab \xc3\xbc\\u0001\"}}\n",
            "\x1e{\"type\":\"Feature\",\"id\":17,\"geometry\":{\"type\":\"Point\",\"coordinat"
            "es\":[-87.6298,41.8781]},\"properties\":{\"id\":17,\"category\":\"pothole\",\"ca"
            "tegory_name\":\"Pothole in street\",\"status\":\"fixed\",\"created_at\":\"2021-0"
            "1-01T10:00:00Z\",\"updated_at\":\"2021-01-02T10:00:00Z\",\"fixed_at\":\"2021-01-"
            "03T10:00:00Z\",\"district\":\"Rogers Park\",\"location\":\"W 97TH ST near S HARV"
            "ARD AVE\",\"address\":\"1200 W 97TH ST, tel [hidden]\",\"description\":\"Deep \\"
            "\"hole\\\", call [hidden] or [hidden]\",\"district_code\":\"1\",\"cluster_id\":9"
            ",\"channel\":\"web\",\"external_id\":\"SR-21-00001\",\"join_reason\":{\"rule\":\""
            "distance\",\"metres\":12}}}\n"
            "\x1e{\"type\":\"Feature\",\"id\":-5,\"geometry\":{\"type\":\"Point\",\"coordinat"
            "es\":[0,null]},\"properties\":{\"id\":-5,\"category\":\"no_such_category\",\"cat"
            "egory_name\":null,\"status\":\"new\",\"created_at\":\"1970-01-01T00:00:00Z\",\"u"
            "pdated_at\":\"1969-12-30T23:59:59Z\",\"fixed_at\":null,\"district\":null,\"locat"
            "ion\":null,\"address\":null,\"description\":\"\",\"district_code\":null,\"cluste"
            "r_id\":0,\"channel\":null,\"external_id\":null,\"join_reason\":null}}\n"
            "\x1e{\"type\":\"Feature\",\"id\":9223372036854775807,\"geometry\":{\"type\":\"Po"
            "int\",\"coordinates\":[180,-90]},\"properties\":{\"id\":9223372036854775807,\"ca"
            "tegory\":\"=SUM(A1)\",\"category_name\":null,\"status\":\"reopened\",\"created_a"
            "t\":\"9999-01-01T00:00:00Z\",\"updated_at\":\"1970-01-01T00:00:01Z\",\"fixed_at\""
            ":null,\"district\":null,\"location\":\"A, \\\"B\\\"\",\"address\":\"12 digits [h"
            "idden] but no at sign\",\"description\":\"\xef\xbb\xbfline one\\r\\nline two\\tt"
            "ab \xc3\xbc\\u0001\",\"district_code\":\"no_such_district\",\"cluster_id\":-9223"
            "372036854775808,\"channel\":\"phone\",\"external_id\":\"+31\",\"join_reason\":nu"
            "ll}}\n",
        },
        {
            "\x1e{\"type\":\"Feature\",\"id\":4,\"geometry\":{\"type\":\"Point\",\"coordinate"
            "s\":[-87.67,42]},\"properties\":{\"id\":4,\"category\":\"street_light_out\",\"ca"
            "tegory_name\":\"Street light out\",\"status\":\"closed\",\"report_count\":3,\"fi"
            "rst_at\":\"2021-01-01T10:00:00Z\",\"last_at\":\"2021-01-02T10:00:00Z\",\"fixed_a"
            "t\":\"2021-01-03T10:00:00Z\",\"updated_at\":\"2021-01-03T10:00:00Z\",\"district\""
            ":\"West Ridge\",\"location\":\"N CLARK ST near W DEVON AVE\"}}\n"
            "\x1e{\"type\":\"Feature\",\"id\":0,\"geometry\":{\"type\":\"Point\",\"coordinate"
            "s\":[10000000000,0]},\"properties\":{\"id\":0,\"category\":\"no_such_category\","
            "\"category_name\":null,\"status\":\"new\",\"report_count\":0,\"first_at\":\"1970"
            "-01-01T00:00:00Z\",\"last_at\":\"1969-12-31T23:59:53Z\",\"fixed_at\":null,\"upda"
            "ted_at\":\"1970-01-01T00:00:00Z\",\"district\":null,\"location\":null}}\n",
            "\x1e{\"type\":\"Feature\",\"id\":4,\"geometry\":{\"type\":\"Point\",\"coordinate"
            "s\":[-87.67,42]},\"properties\":{\"id\":4,\"category\":\"street_light_out\",\"ca"
            "tegory_name\":\"Street light out\",\"status\":\"closed\",\"report_count\":3,\"fi"
            "rst_at\":\"2021-01-01T10:00:00Z\",\"last_at\":\"2021-01-02T10:00:00Z\",\"fixed_a"
            "t\":\"2021-01-03T10:00:00Z\",\"updated_at\":\"2021-01-03T10:00:00Z\",\"district\""
            ":\"West Ridge\",\"location\":\"N CLARK ST near W DEVON AVE\",\"district_code\":\""
            "2\"}}\n"
            "\x1e{\"type\":\"Feature\",\"id\":0,\"geometry\":{\"type\":\"Point\",\"coordinate"
            "s\":[10000000000,0]},\"properties\":{\"id\":0,\"category\":\"no_such_category\","
            "\"category_name\":null,\"status\":\"new\",\"report_count\":0,\"first_at\":\"1970"
            "-01-01T00:00:00Z\",\"last_at\":\"1969-12-31T23:59:53Z\",\"fixed_at\":null,\"upda"
            "ted_at\":\"1970-01-01T00:00:00Z\",\"district\":null,\"location\":null,\"district"
            "_code\":null}}\n",
        },
    },
    {
        {
            "\xef\xbb\xbfid,category,category_name,status,created_at,updated_at,fixed_at,dist"
            "rict,location,address,description,lon,lat\r\n"
            "17,pothole,Pothole in street,fixed,2021-01-01T10:00:00Z,2021-01-02T10:00:00Z,202"
            "1-01-03T10:00:00Z,Rogers Park,W 97TH ST near S HARVARD AVE,\"1200 W 97TH ST, tel"
            " [hidden]\",\"Deep \"\"hole\"\", call [hidden] or [hidden]\",-87.6298,41.8781\r\n"
            "-5,no_such_category,,new,,,,,,,,0,\r\n"
            "9223372036854775807,\"'=SUM(A1)\",,reopened,9999-01-01T00:00:00Z,1970-01-01T00:0"
            "0:01Z,,,\"A, \"\"B\"\"\",12 digits [hidden] but no at sign,\"\xef\xbb\xbfline on"
            "e\r\n"
            "line two\ttab \xc3\xbc\x01\",180,-90\r\n",
            "\xef\xbb\xbfid,category,category_name,status,created_at,updated_at,fixed_at,dist"
            "rict,location,address,description,lon,lat,district_code,cluster_id,channel,exter"
            "nal_id,join_reason\r\n"
            "17,pothole,Pothole in street,fixed,2021-01-01T10:00:00Z,2021-01-02T10:00:00Z,202"
            "1-01-03T10:00:00Z,Rogers Park,W 97TH ST near S HARVARD AVE,\"1200 W 97TH ST, tel"
            " [hidden]\",\"Deep \"\"hole\"\", call [hidden] or [hidden]\",-87.6298,41.8781,1,"
            "9,web,SR-21-00001,\"{\"\"rule\"\":\"\"distance\"\",\"\"metres\"\":12}\"\r\n"
            "-5,no_such_category,,new,,,,,,,,0,,,0,,,not an object\r\n"
            "9223372036854775807,\"'=SUM(A1)\",,reopened,9999-01-01T00:00:00Z,1970-01-01T00:0"
            "0:01Z,,,\"A, \"\"B\"\"\",12 digits [hidden] but no at sign,\"\xef\xbb\xbfline on"
            "e\r\n"
            "line two\ttab \xc3\xbc\x01\",180,-90,no_such_district,-9223372036854775808,phone"
            ",+31,\r\n",
        },
        {
            "\xef\xbb\xbfid,category,category_name,status,report_count,first_at,last_at,fixed"
            "_at,updated_at,district,location,lon,lat\r\n"
            "4,street_light_out,Street light out,closed,3,2021-01-01T10:00:00Z,2021-01-02T10:"
            "00:00Z,2021-01-03T10:00:00Z,2021-01-03T10:00:00Z,West Ridge,N CLARK ST near W DE"
            "VON AVE,-87.67,42\r\n"
            "0,no_such_category,,new,0,,,,,,,,0\r\n",
            "\xef\xbb\xbfid,category,category_name,status,report_count,first_at,last_at,fixed"
            "_at,updated_at,district,location,lon,lat,district_code\r\n"
            "4,street_light_out,Street light out,closed,3,2021-01-01T10:00:00Z,2021-01-02T10:"
            "00:00Z,2021-01-03T10:00:00Z,2021-01-03T10:00:00Z,West Ridge,N CLARK ST near W DE"
            "VON AVE,-87.67,42,2\r\n"
            "0,no_such_category,,new,0,,,,,,,,0,\r\n",
        },
    },
};

static char *render(const struct mp_city *city, enum mp_export_format fmt, enum mp_export_what what,
                    bool internal, size_t *len)
{
    struct mp_export_opts o = {.format = fmt, .what = what, .internal = internal, .city = city};
    struct mp_buf b;
    mp_buf_init(&b, 1 << 20);
    mp_export_begin(&b, &o);
    size_t n = what == MP_EXPORT_REPORTS ? sizeof reports / sizeof *reports
                                         : sizeof clusters / sizeof *clusters;
    for (size_t i = 0; i < n; i++) {
        struct mp_export_row row = {.what = what};
        if (what == MP_EXPORT_REPORTS)
            row.report = reports[i];
        else
            row.cluster = clusters[i];
        mp_export_row(&b, &o, &row, i == 0);
    }
    mp_export_end(&b, &o);
    assert_false(b.failed);
    return mp_buf_steal(&b, len);
}

static void writers_keep_every_byte(void **state)
{
    const struct mp_city *city = *state;
    for (int fmt = 0; fmt < 3; fmt++)
        for (int what = 0; what < 2; what++)
            for (int internal = 0; internal < 2; internal++) {
                size_t len;
                char *doc = render(city, (enum mp_export_format)fmt, (enum mp_export_what)what,
                                   internal, &len);
                const char *want = expected[fmt][what][internal];
                if (len != strlen(want) || memcmp(doc, want, len) != 0) {
                    print_error("format %d, what %d, internal %d: got\n%s\n", fmt, what, internal,
                                doc);
                    free(doc);
                    fail_msg("the document differs from the expected bytes");
                    return;
                }
                free(doc);
            }
}

/* The OGC API items share the GeoJSON Feature of an export row. */
static void feature_is_the_export_feature(void **state)
{
    const struct mp_city *city = *state;
    struct mp_export_opts o = {
        .format = MP_EXPORT_GEOJSONSEQ, .what = MP_EXPORT_CLUSTERS, .internal = true, .city = city};
    struct mp_export_row row = {.what = MP_EXPORT_CLUSTERS};
    row.cluster = clusters[0];
    struct mp_buf b;
    mp_buf_init(&b, 1 << 16);
    mp_export_feature(&b, &o, &row, NULL, NULL);
    assert_false(b.failed);
    assert_string_equal(
        b.data, "{\"type\":\"Feature\",\"id\":4,\"geometry\":{\"type\":\"Point\",\"coordinates\":"
                "[-87.67,42]},\"properties\":{\"id\":4,\"category\":\"street_light_out\","
                "\"category_name\":\"Street light out\",\"status\":\"closed\",\"report_count\":3,"
                "\"first_at\":\"2021-01-01T10:00:00Z\",\"last_at\":\"2021-01-02T10:00:00Z\","
                "\"fixed_at\":\"2021-01-03T10:00:00Z\",\"updated_at\":\"2021-01-03T10:00:00Z\","
                "\"district\":\"West Ridge\",\"location\":\"N CLARK ST near W DEVON AVE\","
                "\"district_code\":\"2\"}}");
    mp_buf_free(&b);
}

static void extra_links(struct mp_buf *b, const void *arg)
{
    mp_json_key(b, "links", false);
    mp_buf_adds(b, arg);
}

/* Members a caller adds go into the Feature object itself, after its
 * properties: the same bytes as without them up to the Feature's closing
 * brace, and the object stays one valid JSON text. */
static void feature_takes_extra_members(void **state)
{
    const struct mp_city *city = *state;
    struct mp_export_opts o = {.format = MP_EXPORT_GEOJSON, .what = MP_EXPORT_CLUSTERS,
                               .city = city};
    struct mp_export_row row = {.what = MP_EXPORT_CLUSTERS};
    row.cluster = clusters[0];
    struct mp_buf plain, with;
    mp_buf_init(&plain, 1 << 16);
    mp_buf_init(&with, 1 << 16);
    mp_export_feature(&plain, &o, &row, NULL, NULL);
    mp_export_feature(&with, &o, &row, extra_links, "[{\"rel\":\"self\"}]");
    assert_false(plain.failed);
    assert_false(with.failed);
    static const char links[] = ",\"links\":[{\"rel\":\"self\"}]}";
    assert_int_equal(with.len, plain.len - 1 + strlen(links));
    assert_memory_equal(with.data, plain.data, plain.len - 1);
    assert_string_equal(with.data + plain.len - 1, links);
    assert_non_null(strstr(plain.data, "\"properties\":{\"id\":4,"));
    json_error_t jerr;
    json_t *doc = json_loads(with.data, 0, &jerr);
    assert_non_null(doc);
    assert_true(json_is_array(json_object_get(doc, "links")));
    assert_true(json_is_object(json_object_get(doc, "properties")));
    json_decref(doc);
    mp_buf_free(&plain);
    mp_buf_free(&with);
}

/* A region of several members (with_municipality): CSV gains a
 * municipality column after lon and lat, before the staff columns, and the
 * Feature a property in the same place; the rest of each line is the
 * bytes without it (writers_keep_every_byte: a city pack's stay as they
 * were). */
static void region_rows_carry_the_municipality(void **state)
{
    const struct mp_city *city = *state;
    static const char row4[] =
        "4,street_light_out,Street light out,closed,3,2021-01-01T10:00:00Z,2021-01-02T10:00:00Z,"
        "2021-01-03T10:00:00Z,2021-01-03T10:00:00Z,West Ridge,N CLARK ST near W DEVON AVE,-87.67,"
        "42";
    static const char head[] = "\xef\xbb\xbfid,category,category_name,status,report_count,first_at,"
                               "last_at,fixed_at,updated_at,district,location,lon,lat";
    char expect[2048];
    /* The public document, then the internal one. */
    int n = snprintf(expect, sizeof expect,
                     "%s,municipality\r\n%s,halle\r\n"
                     "%s,municipality,district_code\r\n%s,halle,2\r\n",
                     head, row4, head, row4);
    assert_true(n > 0 && (size_t)n < sizeof expect);
    struct mp_export_row row = {.what = MP_EXPORT_CLUSTERS};
    row.cluster = clusters[0];
    row.cluster.municipality = "halle";
    struct mp_buf b;
    mp_buf_init(&b, 1 << 16);
    for (int internal = 0; internal < 2; internal++) {
        struct mp_export_opts o = {.format = MP_EXPORT_CSV, .what = MP_EXPORT_CLUSTERS,
                                   .internal = internal, .city = city, .with_municipality = true};
        mp_export_begin(&b, &o);
        mp_export_row(&b, &o, &row, true);
        mp_export_end(&b, &o);
    }
    mp_buf_addc(&b, '\0');
    assert_false(b.failed);
    assert_string_equal(b.data, expect);
    mp_buf_free(&b);

    struct mp_export_opts g = {.format = MP_EXPORT_GEOJSON, .what = MP_EXPORT_CLUSTERS,
                               .internal = true, .city = city, .with_municipality = true};
    mp_buf_init(&b, 1 << 16);
    mp_export_feature(&b, &g, &row, NULL, NULL);
    assert_false(b.failed);
    assert_non_null(strstr(b.data, "\"location\":\"N CLARK ST near W DEVON AVE\","
                                   "\"municipality\":\"halle\",\"district_code\":\"2\"}}"));
    mp_buf_free(&b);
}

static int setup(void **state)
{
    const char *src = getenv("MELDPUNT_SOURCE_DIR");
    char dir[1024];
    struct mp_city *city = NULL;
    struct mp_error err;
    if (!src)
        fail_msg("MELDPUNT_SOURCE_DIR is not set (CTest sets it)");
    snprintf(dir, sizeof dir, "%s/geodata/chicago", src);
    if (mp_city_load(dir, &city, &err) != MP_OK)
        fail_msg("mp_city_load: %s", err.text);
    *state = city;
    return 0;
}

static int teardown(void **state)
{
    mp_city_free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writers_keep_every_byte),
        cmocka_unit_test(feature_is_the_export_feature),
        cmocka_unit_test(feature_takes_extra_members),
        cmocka_unit_test(region_rows_carry_the_municipality),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
