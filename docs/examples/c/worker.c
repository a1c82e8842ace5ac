/* A consumer-group worker.   ./worker NAME
 * Joins the group `workers` on `jobs` (creating both if needed), handles new jobs and
 * acknowledges each after handling it; what it read but never acknowledged stays pending for
 * the reclaimer. Exits after 1 s without new jobs so the example ends. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: worker NAME\n"), 2;
  const char *name = argv[1], *port = getenv("RUNNEL_PORT");
  redisContext *c = redisConnect("127.0.0.1", port ? atoi(port) : 6379);
  if (c == NULL || c->err) return fprintf(stderr, "cannot connect\n"), 1;

  redisReply *r = redisCommand(c, "XGROUP CREATE jobs workers 0 MKSTREAM");
  if (r == NULL) return 1;
  if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
    return fprintf(stderr, "XGROUP: %s\n", r->str), 1;  /* BUSYGROUP: it exists, fine */
  freeReplyObject(r);

  for (;;) {
    r = redisCommand(c, "XREADGROUP GROUP workers %s COUNT 10 BLOCK 1000 STREAMS jobs >", name);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) return 1;
    if (r->type == REDIS_REPLY_NIL) { /* nothing new for a second */
      freeReplyObject(r);
      break;
    }
    redisReply *entries = r->element[0]->element[1]; /* [[stream, [entry...]]] */
    for (size_t i = 0; i < entries->elements; i++) {
      redisReply *id = entries->element[i]->element[0];
      redisReply *fields = entries->element[i]->element[1]; /* task, value, size, value */
      printf("%s handled %s (%s)\n", name, fields->element[1]->str, id->str);
      freeReplyObject(redisCommand(c, "XACK jobs workers %s", id->str));
    }
    freeReplyObject(r);
  }
  redisFree(c);
  return 0;
}
