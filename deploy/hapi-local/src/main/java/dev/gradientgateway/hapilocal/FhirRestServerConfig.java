package dev.gradientgateway.hapilocal;

import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.provider.SubscriptionTriggeringProvider;
import ca.uhn.fhir.jpa.provider.ValueSetOperationProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.narrative2.NullNarrativeGenerator;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.IncomingRequestAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.interceptor.LoggingInterceptor;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The FHIR REST API: a HAPI {@link RestfulServer} holding the JPA resource providers (CRUD, search,
 * history, {@code $validate} on every type) and the system provider (transaction/batch Bundles,
 * {@code $expunge}, ...), registered as a servlet at {@code /fhir/*} (open), and the same server again at
 * {@code /secure/fhir/*} (OAuth 2.0 bearer tokens with SMART scopes) and {@code /basic/fhir/*} (HTTP Basic): see
 * {@link PathAuthInterceptor}. HAPI takes its base URL from each request (IncomingRequestAddressStrategy), so links
 * and fullUrls name the path the request came in on.
 */
@Configuration
public class FhirRestServerConfig {

	@Bean
	public RestfulServer fhirRestfulServer(
			FhirContext theFhirContext,
			IFhirSystemDao<?, ?> theSystemDao,
			ResourceProviderFactory theResourceProviders,
			JpaSystemProvider<?, ?> theSystemProvider,
			SubscriptionTriggeringProvider theSubscriptionTriggeringProvider,
			ValueSetOperationProvider theValueSetOperationProvider,
			JpaStorageSettings theStorageSettings,
			ISearchParamRegistry theSearchParamRegistry,
			IValidationSupport theValidationSupport,
			DatabaseBackedPagingProvider thePagingProvider,
			BulkDataExportProvider theBulkDataExportProvider,
			PathAuthInterceptor thePathAuthInterceptor) {
		// Narratives are not generated: stored resources stay as they were sent.
		theFhirContext.setNarrativeGenerator(new NullNarrativeGenerator());

		RestfulServer server = new RestfulServer(theFhirContext);
		server.registerProviders(theResourceProviders.createProviders());
		server.registerProvider(theSystemProvider);
		// $trigger-subscription: re-deliver existing resources to a subscription on demand.
		server.registerProvider(theSubscriptionTriggeringProvider);
		server.registerProvider(theValueSetOperationProvider);
		// Bulk Data $export (system, Patient, Group) and $export-poll-status: the gateway's backfill.
		server.registerProvider(theBulkDataExportProvider);

		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, theSystemDao, theStorageSettings, theSearchParamRegistry, theValidationSupport);
		capabilities.setImplementationDescription("Gradient Gateway hapi-local (HAPI FHIR JPA, R4)");
		server.setServerConformanceProvider(capabilities);

		server.setPagingProvider(thePagingProvider);
		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		server.setDefaultPrettyPrint(false);
		server.setServerAddressStrategy(new IncomingRequestAddressStrategy());

		// Refuses requests to /secure/fhir and /basic/fhir without a valid credential; /fhir stays open.
		server.registerInterceptor(thePathAuthInterceptor);

		LoggingInterceptor requestLog = new LoggingInterceptor();
		requestLog.setLoggerName("hapi-local.requests");
		requestLog.setMessageFormat(
				"${requestVerb} ${requestUrl} ${operationType} ${processingTimeMillis} ms");
		requestLog.setErrorMessageFormat("ERROR ${requestVerb} ${requestUrl} - ${exceptionMessage}");
		requestLog.setLogExceptions(true);
		server.registerInterceptor(requestLog);
		return server;
	}

	/**
	 * The credentials of the protected paths, each a file read again at every request; an empty property leaves that
	 * path refusing everything. The run script makes them per port in .run/ (see README.md).
	 */
	@Bean
	public PathAuthInterceptor pathAuthInterceptor(
			@Value("${hapi-local.auth.token-key-file:}") String theTokenKeyFile,
			@Value("${hapi-local.auth.basic-file:}") String theBasicFile,
			@Value("${hapi-local.auth.smart-configuration-file:}") String theSmartConfigurationFile) {
		return new PathAuthInterceptor(
				pathOrNull(theTokenKeyFile), pathOrNull(theBasicFile), pathOrNull(theSmartConfigurationFile));
	}

	private static Path pathOrNull(String theValue) {
		return theValue == null || theValue.isBlank() ? null : Path.of(theValue.trim());
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServletRegistration(RestfulServer theServer) {
		ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(
				theServer,
				"/fhir/*",
				PathAuthInterceptor.SECURE_SERVLET_PATH + "/*",
				PathAuthInterceptor.BASIC_SERVLET_PATH + "/*");
		registration.setName("fhir");
		// Initialise at start-up, so that the first /fhir/metadata is answered by a ready server.
		registration.setLoadOnStartup(1);
		return registration;
	}
}
