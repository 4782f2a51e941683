#!/bin/sh
# Starts one interpreter process for the Zeppelin server in this ZEPPELIN_HOME: Zeppelin's own
# bin/interpreter.sh is in none of its published jars. The server runs it as
#   interpreter.sh -d <interpreter dir> -c <server host> -p <server port> -r <port range>
#                  -i <interpreter group id> -l <local repo> -g <setting name> [-u <user>]
# It runs Zeppelin's RemoteInterpreterServer on the interpreter's jars and, for Spark, the project's
# Spark jars (patched for JDK 17) with the JVM options they need, in MLH_ZEPPELIN_WORKDIR (relative
# paths in notes resolve there), and writes its pid to MLH_ZEPPELIN_RUN so that whoever started the
# server can stop it: interpreter processes outlive their server.
while getopts "hc:p:r:i:d:l:v:u:g:" o; do
  case "$o" in
    d) DIR="$OPTARG" ;;
    c) HOST="$OPTARG" ;;
    p) PORT="$OPTARG" ;;
    r) RANGE="$OPTARG" ;;
    i) GROUP="$OPTARG" ;;
    g) NAME="$OPTARG" ;;
    *) ;;
  esac
done
HOME_DIR=$(cd "$(dirname "$0")/.." && pwd)
RUN="${MLH_ZEPPELIN_RUN:-$HOME_DIR/run}"
mkdir -p "$RUN"
CP="$HOME_DIR/lib/interpreter/zeppelin-interpreter-shaded-@zeppelin.interpreter.version@.jar:$DIR/*"
if [ "$NAME" = spark ]; then
  CP="$CP:${MLH_SPARK_JARS:-@project.basedir@/../spark-home/target/spark-home/jars}/*"
else
  CP="$CP:$HOME_DIR/lib/interpreter/logging/*"
fi
echo $$ > "$RUN/interpreter-$GROUP.pid"
cd "${MLH_ZEPPELIN_WORKDIR:-$HOME_DIR}" || exit 1
exec java ${ZEPPELIN_INTP_MEM:--Xmx2g} @jdk17.opens@ \
  -Dlog4j.configuration="file:$HOME_DIR/conf/log4j-interpreter.properties" -Dzeppelin.log.file="$RUN/interpreter-$GROUP.log" \
  -cp "$CP" org.apache.zeppelin.interpreter.remote.RemoteInterpreterServer "$HOST" "$PORT" "$GROUP" "${RANGE:-:}"
