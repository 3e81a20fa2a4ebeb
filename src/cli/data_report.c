#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/data_report.h"
#include "fewflow/err.h"
#include "fewflow/log.h"

struct report {
    const char *const *paths;
    size_t n_paths;
    const struct schema *s;
    const struct table *t;
    const struct data_stats *st;
    size_t *counts;       /* rows per class */
    size_t *order;        /* class ids by count, descending */
};

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xf0 && p[0] < 0xf5 ? 4
             : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
    }
    return n;
}

void data_report_json_str(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', out);
    while (*p != '\0') {
        size_t n = utf8_len(p);
        if (n == 0) {
            fputs("\\ufffd", out);
            p++;
        } else if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p++);
        } else if (*p < 0x20) {
            fprintf(out, "\\u%04x", *p++);
        } else {
            fwrite(p, 1, n, out);
            p += n;
        }
    }
    fputc('"', out);
}

static const struct report *sort_ctx;

static int by_count(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    size_t ci = sort_ctx->counts[i], cj = sort_ctx->counts[j];

    if (ci != cj)
        return ci > cj ? -1 : 1;
    return strcmp(sort_ctx->t->class_names[i], sort_ctx->t->class_names[j]);
}

static int order_classes(struct report *r)
{
    size_t n = r->t->n_classes;

    r->counts = calloc(n + 1, sizeof(size_t));
    r->order = calloc(n + 1, sizeof(size_t));
    if (r->counts == NULL || r->order == NULL)
        return ERR_NOMEM;
    table_class_counts(r->t, r->counts);
    for (size_t c = 0; c < n; c++)
        r->order[c] = c;
    sort_ctx = r;
    qsort(r->order, n, sizeof(size_t), by_count);
    return 0;
}

static uint64_t sum(const uint64_t *a, size_t n)
{
    uint64_t s = 0;

    for (size_t i = 0; i < n; i++)
        s += a[i];
    return s;
}

static size_t count_role(const struct schema *s, enum schema_role role)
{
    size_t n = 0;

    for (size_t i = 0; i < schema_n_raw(s); i++)
        n += schema_raw_role(s, i) == role;
    return n;
}

static void json_counts(FILE *out, const struct report *r, const uint64_t *a)
{
    int first = 1;

    fprintf(out, "{\"total\":%llu,\"columns\":{",
            (unsigned long long)sum(a, r->st->n_raw));
    for (size_t i = 0; i < r->st->n_raw; i++) {
        if (a[i] == 0)
            continue;
        fputs(first ? "" : ",", out);
        data_report_json_str(out, schema_raw_name(r->s, i));
        fprintf(out, ":%llu", (unsigned long long)a[i]);
        first = 0;
    }
    fputs("}}", out);
}

static void json_columns(FILE *out, const struct report *r)
{
    const struct schema *s = r->s;

    fprintf(out, "\"features\":{\"raw\":%zu,\"encoded\":%zu,"
            "\"categorical\":{", count_role(s, SCHEMA_ROLE_NUMERIC) +
            count_role(s, SCHEMA_ROLE_CATEGORICAL), schema_n_cols(s));
    for (size_t i = 0, k = 0; i < schema_n_raw(s); i++) {
        if (schema_raw_role(s, i) != SCHEMA_ROLE_CATEGORICAL)
            continue;
        fputs(k++ ? "," : "", out);
        data_report_json_str(out, schema_raw_name(s, i));
        fprintf(out, ":%zu", schema_raw_vocab_size(s, i));
    }
    fputs("},\"names\":[", out);
    for (size_t j = 0; j < schema_n_cols(s); j++) {
        fputs(j ? "," : "", out);
        data_report_json_str(out, schema_col_name(s, j));
    }
    fputs("]},\"dropped\":[", out);
    for (size_t i = 0, k = 0; i < schema_n_raw(s); i++) {
        if (schema_raw_role(s, i) != SCHEMA_ROLE_DROPPED)
            continue;
        fputs(k++ ? "," : "", out);
        data_report_json_str(out, schema_raw_name(s, i));
    }
    fputs("],", out);
}

static void json_report(FILE *out, const struct report *r)
{
    fputs("{\"files\":[", out);
    for (size_t k = 0; k < r->n_paths; k++) {
        fputs(k ? "," : "", out);
        data_report_json_str(out, r->paths[k]);
    }
    fprintf(out, "],\"profile\":\"%s\",\"rows\":%zu,\"label_column\":",
            schema_profile(r->s), r->t->n_rows);
    if (schema_label_column(r->s) != NULL)
        data_report_json_str(out, schema_label_column(r->s));
    else
        fputs("null", out);
    fputs(",", out);
    json_columns(out, r);
    fputs("\"labels\":{", out);
    for (size_t k = 0; k < r->t->n_classes; k++) {
        size_t c = r->order[k];
        fputs(k ? "," : "", out);
        data_report_json_str(out, r->t->class_names[c]);
        fprintf(out, ":%zu", r->counts[c]);
    }
    fputs("},\"nonfinite\":", out);
    json_counts(out, r, r->st->nonfinite);
    fputs(",\"empty\":", out);
    json_counts(out, r, r->st->empty);
    fputs(",\"unseen_categories\":", out);
    json_counts(out, r, r->st->unseen);
    fprintf(out, ",\"duplicates\":{\"lines\":%llu,\"features\":%llu,"
            "\"conflicting_labels\":%llu}}\n",
            (unsigned long long)r->st->dup_lines,
            (unsigned long long)r->st->dup_features,
            (unsigned long long)r->st->dup_conflicts);
}

static void text_list(FILE *out, const struct report *r, const uint64_t *a,
                      const char *what)
{
    fprintf(out, "%-10s %llu\n", what,
            (unsigned long long)sum(a, r->st->n_raw));
    for (size_t i = 0; i < r->st->n_raw; i++) {
        if (a[i] != 0)
            fprintf(out, "  %-40s %llu\n", schema_raw_name(r->s, i),
                    (unsigned long long)a[i]);
    }
}

static void text_report(FILE *out, const struct report *r)
{
    const struct schema *s = r->s;
    size_t n_cat = count_role(s, SCHEMA_ROLE_CATEGORICAL);

    fprintf(out, "files      %zu\nprofile    %s\nrows       %zu\n",
            r->n_paths, schema_profile(s), r->t->n_rows);
    fprintf(out, "features   %zu kept (%zu categorical) -> %zu encoded "
            "columns\ndropped   ", count_role(s, SCHEMA_ROLE_NUMERIC) + n_cat,
            n_cat, schema_n_cols(s));
    for (size_t i = 0; i < schema_n_raw(s); i++) {
        if (schema_raw_role(s, i) == SCHEMA_ROLE_DROPPED)
            fprintf(out, " %s", schema_raw_name(s, i));
    }
    if (count_role(s, SCHEMA_ROLE_DROPPED) == 0)
        fputs(" (none)", out);
    fprintf(out, "\nlabel      %s (%zu classes)\n",
            schema_label_column(s) ? schema_label_column(s) : "(none)",
            r->t->n_classes);
    for (size_t k = 0; k < r->t->n_classes; k++) {
        char name[512];
        fprintf(out, "  %-40s %zu\n",
                cli_printable(r->t->class_names[r->order[k]], name,
                              sizeof(name)), r->counts[r->order[k]]);
    }
    text_list(out, r, r->st->nonfinite, "nonfinite");
    text_list(out, r, r->st->empty, "empty");
    text_list(out, r, r->st->unseen, "unseen");
    fprintf(out, "duplicates %llu identical lines, %llu identical feature "
            "vectors (%llu of them labelled differently)\n",
            (unsigned long long)r->st->dup_lines,
            (unsigned long long)r->st->dup_features,
            (unsigned long long)r->st->dup_conflicts);
}

/* Builds the whole report in memory, then writes it in one go. */
static int emit(const struct report *r, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);

    if (mem == NULL)
        return err_set(ERR_NOMEM, "out of memory");
    if (json)
        json_report(mem, r);
    else
        text_report(mem, r);
    int bad = fclose(mem) != 0;
    if (!bad)
        bad = fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0;
    free(buf);
    return bad ? err_set(ERR_IO, "writing the report failed") : 0;
}

int data_report_run(const char *const *paths, size_t n,
                    const struct data_options *opt, int json)
{
    struct report r = { paths, n, NULL, NULL, NULL, NULL, NULL };
    struct data_stats st;
    struct schema *s = NULL;
    struct table *t = NULL;

    int rc = data_load(paths, n, opt, &s, &t, &st);
    if (rc != 0)
        return cli_fail(rc);
    r.s = s;
    r.t = t;
    r.st = &st;
    log_info("data", "%zu rows, %zu columns, %zu classes", t->n_rows,
             t->n_cols, t->n_classes);
    rc = order_classes(&r);
    if (rc == 0)
        rc = emit(&r, json);
    free(r.counts);
    free(r.order);
    data_stats_fini(&st);
    table_destroy(t);
    schema_destroy(s);
    return rc != 0 ? cli_fail(rc) : 0;
}
