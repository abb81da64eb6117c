#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "strmap.h"
#include "util.h"

static void
test_strmap(void **state)
{
    (void)state;
    struct strmap m = STRMAP_INITIALIZER;
    char keys[200][8];
    for (int i = 0; i < 200; i++) {
        snprintf(keys[i], sizeof keys[i], "k%03d", i);
        assert_null(strmap_put(&m, keys[i], keys[i]));
    }
    assert_int_equal(strmap_count(&m), 200);
    assert_ptr_equal(strmap_get(&m, "k042"), keys[42]);
    assert_ptr_equal(strmap_put(&m, "k042", keys[1]), keys[42]);
    assert_ptr_equal(strmap_remove(&m, "k042"), keys[1]);
    assert_null(strmap_get(&m, "k042"));
    assert_false(strmap_contains(&m, "nope"));

    size_t n, seen = 0;
    struct strmap_node **sorted = strmap_sorted(&m, &n);
    assert_int_equal(n, 199);
    for (size_t i = 1; i < n; i++) {
        assert_true(strcmp(sorted[i - 1]->key, sorted[i]->key) < 0);
    }
    free(sorted);
    for (struct strmap_node *node = strmap_first(&m); node; node = strmap_next(&m, node)) {
        seen++;
    }
    assert_int_equal(seen, 199);
    strmap_destroy(&m);
}

static void
test_error(void **state)
{
    (void)state;
    struct lq_error *e =
        lq_error_new(LQ_INVALID_ARGUMENT, "spec.ipConfig.ipv4Subnet", "'%s' is not a CIDR", "x");
    assert_string_equal(e->field, "spec.ipConfig.ipv4Subnet");
    assert_string_equal(e->message, "spec.ipConfig.ipv4Subnet: 'x' is not a CIDR");
    assert_int_equal(lq_code_http_status(e->code), 400);
    assert_string_equal(lq_code_name(e->code), "invalid_argument");
    lq_error_free(e);
    assert_int_equal(lq_code_http_status(LQ_RESOURCE_EXHAUSTED), 429);
    assert_int_equal(lq_code_http_status(LQ_UNAUTHENTICATED), 401);
    lq_error_free(NULL);
}

static void
test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    lq_uuid_generate(a);
    lq_uuid_generate(b);
    assert_true(lq_uuid_is_valid(a));
    assert_string_not_equal(a, b);
    assert_int_equal(a[14], '4');
    assert_false(lq_uuid_is_valid("not-a-uuid"));
    assert_false(lq_uuid_is_valid("0123456789abcdef0123456789abcdef0123"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strmap),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_uuid),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
