/* A C program using an installed eqlc through its C API, built with nothing but
 *   cc c_example.c $(pkg-config --cflags --libs eqlc)
 * Usage: c_example RULE_FILE_OR_FOLDER EVENTS.ndjson...
 * Each events file is its own run (as `eqlc RULE FILE` is): its lines are pushed one by one, the end of the file
 * finishes the run, and every alert is printed as the eqlc tool prints it, one NDJSON line. Bad lines are reported on
 * stderr and skipped. Exit status: 0 without alerts, 1 with alerts, 2 on an error. */
#define _POSIX_C_SOURCE 200809L

#include <eqlc/eqlc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_alert(void* user, const char* alert_json, size_t len) {
    size_t* count = user;
    fwrite(alert_json, 1, len, stdout);
    fputc('\n', stdout);
    ++*count;
}

static void report_bad_input(void* user, const char* origin, uint64_t line, const char* message, const char* excerpt) {
    (void)user;
    (void)excerpt;
    fprintf(stderr, "c_example: %s:%llu: %s\n", origin, (unsigned long long)line, message);
}

/* Runs the rules over one file; -1 when the engine cannot be made or the file read. */
static long run_file(const char* rules, const char* path) {
    char* error = NULL;
    eqlc_engine* engine = eqlc_engine_from_path(rules, NULL, &error);
    if (!engine) {
        fprintf(stderr, "c_example: %s", error ? error : "no engine\n");
        eqlc_free(error);
        return -1;
    }
    eqlc_free(error); /* warnings, if any */
    size_t alerts = 0;
    eqlc_engine_on_alert(engine, print_alert, &alerts);
    eqlc_engine_on_bad_input(engine, report_bad_input, NULL);

    FILE* in = fopen(path, "r");
    if (!in) {
        perror(path);
        eqlc_engine_free(engine);
        return -1;
    }
    char* line = NULL;
    size_t capacity = 0;
    ssize_t len;
    while ((len = getline(&line, &capacity, in)) > 0) {
        if (line[len - 1] == '\n') --len;
        if (len == 0) continue;
        eqlc_engine_push_json(engine, line, (size_t)len); /* a bad line is reported and skipped */
    }
    free(line);
    fclose(in);
    if (eqlc_engine_finish(engine) != EQLC_OK) fprintf(stderr, "c_example: %s\n", eqlc_engine_last_error(engine));
    eqlc_engine_free(engine);
    return (long)alerts;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s RULE_FILE_OR_FOLDER EVENTS.ndjson...\n", argv[0]);
        return 2;
    }
    if (strcmp(eqlc_version(), "") == 0 || eqlc_version_number() / 10000 != EQLC_VERSION_MAJOR) {
        fprintf(stderr, "c_example: built for eqlc %d.x, running with %s\n", EQLC_VERSION_MAJOR, eqlc_version());
        return 2;
    }
    long total = 0;
    for (int i = 2; i < argc; ++i) {
        const long alerts = run_file(argv[1], argv[i]);
        if (alerts < 0) return 2;
        fprintf(stderr, "c_example: %s: %ld alerts\n", argv[i], alerts);
        total += alerts;
    }
    return total > 0 ? 1 : 0;
}
