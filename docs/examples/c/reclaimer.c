/* Takes over jobs a dead worker left pending.   ./reclaimer NAME MIN_IDLE_MS
 * Walks the group's PEL with XAUTOCLAIM, claiming entries idle for at least MIN_IDLE_MS for
 * NAME, and handles and acknowledges each; IDs whose entries were deleted from the stream
 * come back in the third element and are dropped from the PEL by XAUTOCLAIM itself. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: reclaimer NAME MIN_IDLE_MS\n"), 2;
  const char *name = argv[1], *port = getenv("RUNNEL_PORT");
  redisContext *c = redisConnect("127.0.0.1", port ? atoi(port) : 6379);
  if (c == NULL || c->err) return fprintf(stderr, "cannot connect\n"), 1;

  char cursor[64] = "0-0";
  do {
    redisReply *r = redisCommand(c, "XAUTOCLAIM jobs workers %s %s %s COUNT 10",
                                 name, argv[2], cursor);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
      fprintf(stderr, "XAUTOCLAIM: %s\n", r ? r->str : c->errstr);
      return 1;
    }
    snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
    redisReply *entries = r->element[1], *deleted = r->element[2];
    for (size_t i = 0; i < entries->elements; i++) {
      redisReply *id = entries->element[i]->element[0];
      redisReply *fields = entries->element[i]->element[1];
      printf("%s took over %s (%s)\n", name, fields->element[1]->str, id->str);
      freeReplyObject(redisCommand(c, "XACK jobs workers %s", id->str));
    }
    for (size_t i = 0; i < deleted->elements; i++)
      printf("%s dropped %s: deleted from the stream\n", name, deleted->element[i]->str);
    freeReplyObject(r);
  } while (strcmp(cursor, "0-0") != 0); /* 0-0: the whole PEL has been scanned */
  redisFree(c);
  return 0;
}
