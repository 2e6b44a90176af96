#!/bin/sh
# 040-fork-threads: a forked child gets its own broker connection and its
# own verdicts; threads share one safely; exec'd children are shimmed too.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
TOKEN=npm_CanaryTokenForkThread0123456789abcd
J="--allow 127.0.0.1 --canary $TOKEN"

out=$(jail $J -- python3 -c "
import os,urllib.request,sys
url='http://127.0.0.1:$web_PORT'
def post(path, body):
    try:
        urllib.request.urlopen(url+path, data=body.encode()); return 'sent'
    except Exception: return 'blocked'
print('parent-before', post('/p1','clean'), flush=True)
pid=os.fork()
if pid==0:
    print('child-pid', os.getpid(), flush=True)
    print('child-clean', post('/c1','clean'), flush=True)
    print('child-canary', post('/c2','$TOKEN'), flush=True)
    os._exit(0)
os.waitpid(pid,0)
print('parent-after', post('/p2','clean'), flush=True)
" 2>/dev/null)
check "parent works before fork" sh -c "echo '$out' | grep -q 'parent-before sent'"
check "forked child's clean POST goes through" sh -c "echo '$out' | grep -q 'child-clean sent'"
check "forked child's canary POST is blocked" sh -c "echo '$out' | grep -q 'child-canary blocked'"
check "parent still works after the child" sh -c "echo '$out' | grep -q 'parent-after sent'"
cpid=$(echo "$out" | sed -n 's/^child-pid //p')
check "the child's block is evented under the child's own pid" event_has '"detector":"canary"' "\"pid\":$cpid,"

out=$(jail $J -- python3 -c "
import threading,urllib.request
url='http://127.0.0.1:$web_PORT'
res={'sent':0,'blocked':0,'canary':None}
lock=threading.Lock()
def worker(i):
    for j in range(15):
        try:
            urllib.request.urlopen(url+'/t%d_%d'%(i,j), data=b'clean').read(); r='sent'
        except Exception: r='blocked'
        with lock: res[r]+=1
def leaker():
    try:
        urllib.request.urlopen(url+'/leak', data=b'$TOKEN'); res['canary']='sent'
    except Exception: res['canary']='blocked'
ts=[threading.Thread(target=worker,args=(i,)) for i in range(8)]+[threading.Thread(target=leaker)]
[t.start() for t in ts]; [t.join() for t in ts]
print(res['sent'], res['blocked'], res['canary'])
" 2>/dev/null)
check "8 threads x 15 clean POSTs all succeed ($out)" [ "$out" = "120 0 blocked" ]

out=$(jail $J -- sh -c "curl -s http://127.0.0.1:$web_PORT/exec1; curl -s -d 'k=$TOKEN' http://127.0.0.1:$web_PORT/exec2 >/dev/null 2>&1 || echo blocked" 2>/dev/null)
check "exec'd grandchildren are shimmed" [ "$out" = "$(printf 'hello\nblocked')" ]
check "the token never reached the server" sh -c "! grep -q '$TOKEN' '$web_LOG'"
finish
