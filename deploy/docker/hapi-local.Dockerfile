# syntax=docker/dockerfile:1
#
# deploy/hapi-local (our small HAPI FHIR 8.8.0 JPA server: R4, H2, REST-hook and WebSocket subscriptions) as a
# container, for deploy/compose/compose.yaml. The build context is deploy/hapi-local/:
#
#   docker build -f deploy/docker/hapi-local.Dockerfile -t gradient-gateway/hapi-local:dev deploy/hapi-local
#
# It mirrors deploy/hapi-local/run: the same Maven build (mvn -B -q package -DskipTests), the jar unpacked with
# Spring Boot's jarmode tools (plain jars start faster than the nested jar), the same JVM options and the same
# Spring properties on the command line (--server.port, --server.address, --spring.datasource.url, then any extra
# ones). Environment, as for the run script:
#   HAPI_LOCAL_JAVA_OPTS   JVM options (default the run script's: -Xms256m -Xmx2g -XX:+UseSerialGC
#                          -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError)
#   HAPI_LOCAL_DB_URL      JDBC URL (default H2 in memory, as run --db mem; for data that survives a restart use
#                          jdbc:h2:file:/var/lib/hapi-local/hapi;DB_CLOSE_ON_EXIT=FALSE with a volume there)
#   HAPI_LOCAL_EXTRA_ARGS  extra Spring properties, e.g. --hapi-local.subscription.submit-interval-ms=500
# Arguments after the image name are passed on as further Spring properties.

# ---------------------------------------------------------------------------------------------------------------
# Builder: Maven with Java 17, as deploy/hapi-local/run builds it.
# ---------------------------------------------------------------------------------------------------------------
FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src/ src/
# The cache mount keeps ~/.m2 (about 340 MB of HAPI's dependencies) between builds on the same builder.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q package -DskipTests \
 && java -Djarmode=tools -jar target/hapi-local.jar extract --destination /out/hapi-local

# ---------------------------------------------------------------------------------------------------------------
# Runtime: a JRE, the unpacked jar, a non-root user.
# ---------------------------------------------------------------------------------------------------------------
FROM eclipse-temurin:17-jre

RUN groupadd --system --gid 10002 hapi \
 && useradd --system --uid 10002 --gid hapi --no-create-home --home-dir /var/lib/hapi-local \
      --shell /usr/sbin/nologin hapi \
 && install -d -o hapi -g hapi -m 0750 /var/lib/hapi-local

COPY --from=build /out/hapi-local/ /opt/hapi-local/

ENV HAPI_LOCAL_JAVA_OPTS="-Xms256m -Xmx2g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError" \
    HAPI_LOCAL_DB_URL="jdbc:h2:mem:hapi-local-8080;DB_CLOSE_DELAY=-1;DB_CLOSE_ON_EXIT=FALSE" \
    HAPI_LOCAL_EXTRA_ARGS=""

WORKDIR /var/lib/hapi-local
USER hapi:hapi
EXPOSE 8080

# Start-up takes about a minute on two cores (up to several under load, see deploy/hapi-local/README.md); readiness
# is GET /fhir/metadata answering 200, checked with bash's /dev/tcp so that the image needs no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=300s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /fhir/metadata HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == 'HTTP/1.'[01]' 200'* ]]"]

# exec: java is PID 1 and receives the SIGTERM of `docker stop` (Spring shuts HAPI down cleanly).
# HAPI_LOCAL_JAVA_OPTS and HAPI_LOCAL_EXTRA_ARGS are word lists on purpose, as in the run script.
ENTRYPOINT ["/bin/sh", "-c", "exec java $HAPI_LOCAL_JAVA_OPTS -jar /opt/hapi-local/hapi-local.jar --server.port=8080 --server.address=0.0.0.0 \"--spring.datasource.url=$HAPI_LOCAL_DB_URL\" $HAPI_LOCAL_EXTRA_ARGS \"$@\"", "hapi-local"]
