#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fewflow/bytes.h"
#include "testutil.h"

static void roundtrip_preserves_every_type(void **state)
{
    struct bytes_writer w;
    struct bytes_reader r;
    float fs[3] = { 1.5f, -0.0f, 3.25e-30f };
    float back[3];

    bytes_writer_init(&w);
    bytes_put_u8(&w, 7);
    bytes_put_u32(&w, 0xdeadbeef);
    bytes_put_u64(&w, 0x0123456789abcdefULL);
    bytes_put_f64(&w, -2.5);
    bytes_put_f32s(&w, fs, 3);
    bytes_put_str(&w, "proto");
    assert_int_equal(bytes_writer_status(&w), 0);
    assert_int_equal(w.data[1], 0xef);  /* little-endian on every host */

    bytes_reader_init(&r, w.data, w.len);
    assert_int_equal(bytes_get_u8(&r), 7);
    assert_int_equal(bytes_get_u32(&r), 0xdeadbeef);
    assert_true(bytes_get_u64(&r) == 0x0123456789abcdefULL);
    assert_true(bytes_get_f64(&r) == -2.5);
    assert_true(bytes_get_f32s(&r, back, 3));
    assert_memory_equal(back, fs, sizeof(fs));
    char *s = bytes_get_str(&r, 64);
    assert_string_equal(s, "proto");
    free(s);
    assert_false(r.failed);
    assert_int_equal(r.pos, w.len);
    bytes_writer_fini(&w);
}

static void truncated_input_fails_at_its_offset(void **state)
{
    struct bytes_writer w;
    struct bytes_reader r;

    bytes_writer_init(&w);
    bytes_put_u32(&w, 1);
    bytes_put_str(&w, "abcdef");
    bytes_reader_init(&r, w.data, w.len - 2);
    assert_int_equal(bytes_get_u32(&r), 1);
    assert_null(bytes_get_str(&r, 64));
    assert_true(r.failed);
    assert_int_equal(r.fail_pos, 4);
    assert_int_equal(bytes_get_u32(&r), 0);

    /* An absurd length must not allocate or read past the end. */
    bytes_reader_init(&r, "\xff\xff\xff\xff", 4);
    assert_null(bytes_get_str(&r, 1u << 20));
    assert_true(r.failed);
    bytes_writer_fini(&w);
}

static void checksums_match_published_vectors(void **state)
{
    uint8_t d[32];
    char hex[65];

    /* CRC-32 check value of "123456789" (the standard's test vector). */
    assert_int_equal(bytes_crc32(0, "123456789", 9), 0xcbf43926);
    assert_int_equal(bytes_crc32(bytes_crc32(0, "1234", 4), "56789", 5),
                     0xcbf43926);
    /* FIPS 180-4 examples: "abc" and the 448-bit two-block message. */
    bytes_sha256("abc", 3, d);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    bytes_sha256(m, strlen(m), d);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039"
                             "a33ce45964ff2167f6ecedd419db06c1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roundtrip_preserves_every_type),
        cmocka_unit_test(truncated_input_fails_at_its_offset),
        cmocka_unit_test(checksums_match_published_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
