package dev.gradientgateway.hapilocal;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * Entry point of hapi-local: a HAPI FHIR JPA server (FHIR R4) for the Gradient Gateway quickstart and
 * integration tests.
 *
 * <p>Spring Boot starts an embedded Tomcat that serves the FHIR REST API at {@code /fhir/*} and the
 * HAPI subscription WebSocket at {@code /websocket}. The HAPI wiring is in {@link HapiJpaServerConfig}
 * (storage, subscriptions) and {@link FhirRestServerConfig} (the REST servlet). Settings are in
 * {@code application.properties}; the {@code run} script passes the port and the database URL as
 * command-line properties ({@code --server.port=N}, {@code --spring.datasource.url=...}).
 */
@SpringBootApplication
public class HapiLocalApplication {

	public static void main(String[] args) {
		SpringApplication.run(HapiLocalApplication.class, args);
	}
}
