/* Adds jobs to the stream `jobs`.   ./producer [COUNT]
 * Build: cc producer.c -lhiredis. RUNNEL_PORT picks the port (default 6379). Prints the ID
 * of every job it adds. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *port = getenv("RUNNEL_PORT");
  redisContext *c = redisConnect("127.0.0.1", port ? atoi(port) : 6379);
  if (c == NULL || c->err) {
    fprintf(stderr, "connect: %s\n", c ? c->errstr : "out of memory");
    return 1;
  }
  int count = argc > 1 ? atoi(argv[1]) : 10;
  for (int i = 0; i < count; i++) {
    /* MAXLEN ~ keeps the stream bounded; `~` lets the server trim whole blocks cheaply. */
    redisReply *r = redisCommand(c, "XADD jobs MAXLEN ~ 1000000 * task resize-%d size %d",
                                 i, 100 + i);
    if (r == NULL || r->type != REDIS_REPLY_STRING) {
      fprintf(stderr, "XADD: %s\n", r ? r->str : c->errstr);
      return 1;
    }
    printf("%s\n", r->str);
    freeReplyObject(r);
  }
  redisFree(c);
  return 0;
}
