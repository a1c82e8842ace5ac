/* Client matrix: hiredis (Debian's libhiredis) with its default settings.
 *
 * The scenario every client in tests/clients runs (see python_redis.py), through hiredis's
 * own API: redisCommand for single calls, redisAppendCommand + redisGetReply for the blocked
 * XREAD (sent, then waited for after another connection's XADD) and for the pipeline.
 * Prints `PASS protocol=N`; any unexpected reply exits 1 naming the step. */
#include <hiredis/hiredis.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void fail(const char *what, const redisReply *r) {
  fprintf(stderr, "FAIL %s", what);
  if (r != NULL && (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STRING ||
                    r->type == REDIS_REPLY_STATUS))
    fprintf(stderr, ": %s", r->str);
  fprintf(stderr, "\n");
  exit(1);
}

static void check(int cond, const char *what, const redisReply *r) {
  if (!cond) fail(what, r);
}

static redisContext *connect_default(void) {
  const char *port = getenv("RUNNEL_PORT");
  redisContext *c = redisConnect("127.0.0.1", port ? atoi(port) : 6379);
  if (c == NULL || c->err) fail("connect", NULL);
  return c;
}

static redisReply *call(redisContext *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply *r = redisvCommand(c, fmt, ap);
  va_end(ap);
  if (r == NULL) fail("connection lost", NULL);
  return r;
}

static int is_str(const redisReply *r, const char *s) {
  return (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
         strcmp(r->str, s) == 0;
}

/* An entry reply [id, [field, value]] with the given id and one field. */
static int is_entry(const redisReply *e, const char *id, const char *f, const char *v) {
  return e->type == REDIS_REPLY_ARRAY && e->elements == 2 && is_str(e->element[0], id) &&
         e->element[1]->type == REDIS_REPLY_ARRAY && e->element[1]->elements == 2 &&
         is_str(e->element[1]->element[0], f) && is_str(e->element[1]->element[1], v);
}

static long long integer(redisContext *c, const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply *r = redisvCommand(c, fmt, ap);
  va_end(ap);
  if (r == NULL || r->type != REDIS_REPLY_INTEGER) fail(what, r);
  long long v = r->integer;
  freeReplyObject(r);
  return v;
}

static char *add(redisContext *c, const char *key, const char *n) {
  redisReply *r = call(c, "XADD %s * n %s", key, n);
  check(r->type == REDIS_REPLY_STRING, "XADD", r);
  char *id = strdup(r->str);
  freeReplyObject(r);
  return id;
}

/* INFO clients until blocked_clients reaches n: waits on observable state, not a sleep. */
static void wait_blocked(redisContext *c, int n) {
  for (int tries = 0; tries < 2000; tries++) {
    redisReply *r = call(c, "INFO clients");
    const char *at = strstr(r->str, "blocked_clients:");
    int blocked = at ? atoi(at + strlen("blocked_clients:")) : -1;
    freeReplyObject(r);
    if (blocked >= n) return;
    struct timespec pause = {0, 5 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  fail("the XREAD never blocked", NULL);
}

int main(void) {
  redisContext *c = connect_default();
  redisReply *r = call(c, "DEL s t p");
  freeReplyObject(r);

  char *id1 = add(c, "s", "1");
  char *id2 = add(c, "s", "2");
  check(integer(c, "XLEN", "XLEN s") == 2, "XLEN", NULL);

  /* XREAD BLOCK on a second connection, woken by an XADD on the first. */
  redisContext *blocked = connect_default();
  redisAppendCommand(blocked, "XREAD BLOCK 10000 STREAMS s $");
  int done = 0;
  while (!done)
    if (redisBufferWrite(blocked, &done) != REDIS_OK) fail("send XREAD", NULL);
  wait_blocked(c, 1);
  char *id3 = add(c, "s", "3");
  if (redisGetReply(blocked, (void **)&r) != REDIS_OK) fail("XREAD BLOCK reply", NULL);
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            is_str(r->element[0]->element[0], "s") &&
            r->element[0]->element[1]->elements == 1 &&
            is_entry(r->element[0]->element[1]->element[0], id3, "n", "3"),
        "XREAD BLOCK", r);
  freeReplyObject(r);
  redisFree(blocked);

  /* Consumer groups. */
  r = call(c, "XGROUP CREATE s g 0");
  check(is_str(r, "OK"), "XGROUP CREATE", r);
  freeReplyObject(r);
  r = call(c, "XREADGROUP GROUP g c1 COUNT 2 STREAMS s >");
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            r->element[0]->element[1]->elements == 2 &&
            is_entry(r->element[0]->element[1]->element[0], id1, "n", "1") &&
            is_entry(r->element[0]->element[1]->element[1], id2, "n", "2"),
        "XREADGROUP", r);
  freeReplyObject(r);
  check(integer(c, "XACK", "XACK s g %s", id1) == 1, "XACK", NULL);
  r = call(c, "XPENDING s g");
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[0]->integer == 1 &&
            is_str(r->element[1], id2) && is_str(r->element[2], id2) &&
            is_str(r->element[3]->element[0]->element[0], "c1"),
        "XPENDING", r);
  freeReplyObject(r);
  r = call(c, "XCLAIM s g c2 0 %s", id2);
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            is_entry(r->element[0], id2, "n", "2"), "XCLAIM", r);
  freeReplyObject(r);
  r = call(c, "XAUTOCLAIM s g c3 0 0-0");
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && is_str(r->element[0], "0-0") &&
            r->element[1]->elements == 1 && is_entry(r->element[1]->element[0], id2, "n", "2") &&
            r->element[2]->elements == 0,
        "XAUTOCLAIM", r);
  freeReplyObject(r);
  r = call(c, "XPENDING s g - + 10");
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
            is_str(r->element[0]->element[1], "c3") && r->element[0]->element[3]->integer == 3,
        "XPENDING - + 10", r);
  freeReplyObject(r);
  r = call(c, "XINFO STREAM s");
  check(r->type == REDIS_REPLY_ARRAY && r->elements % 2 == 0, "XINFO STREAM", r);
  int length_ok = 0, groups_ok = 0;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (is_str(r->element[i], "length")) length_ok = r->element[i + 1]->integer == 3;
    if (is_str(r->element[i], "groups")) groups_ok = r->element[i + 1]->integer == 1;
  }
  check(length_ok && groups_ok, "XINFO STREAM length/groups", NULL);
  freeReplyObject(r);

  /* MULTI/EXEC, then a plain pipeline of 100 XADDs and an XLEN. */
  r = call(c, "MULTI");
  check(is_str(r, "OK"), "MULTI", r);
  freeReplyObject(r);
  for (int i = 0; i < 2; i++) {
    r = call(c, "XADD t * a %d", i);
    check(is_str(r, "QUEUED"), "queued XADD", r);
    freeReplyObject(r);
  }
  freeReplyObject(call(c, "XLEN t"));
  r = call(c, "EXEC");
  check(r->type == REDIS_REPLY_ARRAY && r->elements == 3 &&
            r->element[2]->type == REDIS_REPLY_INTEGER && r->element[2]->integer == 2,
        "EXEC", r);
  freeReplyObject(r);
  for (int i = 0; i < 100; i++) redisAppendCommand(c, "XADD p * i %d", i);
  redisAppendCommand(c, "XLEN p");
  for (int i = 0; i <= 100; i++) {
    if (redisGetReply(c, (void **)&r) != REDIS_OK) fail("pipeline reply", NULL);
    if (i == 100) check(r->type == REDIS_REPLY_INTEGER && r->integer == 100, "pipeline", r);
    else check(r->type == REDIS_REPLY_STRING, "pipelined XADD", r);
    freeReplyObject(r);
  }

  r = call(c, "CLIENT INFO");
  const char *resp = r->type == REDIS_REPLY_STRING ? strstr(r->str, " resp=") : NULL;
  check(resp != NULL, "CLIENT INFO", r);
  printf("PASS protocol=%d\n", atoi(resp + strlen(" resp=")));
  freeReplyObject(r);
  free(id1);
  free(id2);
  free(id3);
  redisFree(c);
  return 0;
}
