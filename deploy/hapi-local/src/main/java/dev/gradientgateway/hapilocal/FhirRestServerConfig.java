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
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The FHIR REST API: a HAPI {@link RestfulServer} holding the JPA resource providers (CRUD, search,
 * history, {@code $validate} on every type) and the system provider (transaction/batch Bundles,
 * {@code $expunge}, ...), registered as a servlet at {@code /fhir/*}.
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
			BulkDataExportProvider theBulkDataExportProvider) {
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

		LoggingInterceptor requestLog = new LoggingInterceptor();
		requestLog.setLoggerName("hapi-local.requests");
		requestLog.setMessageFormat(
				"${requestVerb} ${requestUrl} ${operationType} ${processingTimeMillis} ms");
		requestLog.setErrorMessageFormat("ERROR ${requestVerb} ${requestUrl} - ${exceptionMessage}");
		requestLog.setLogExceptions(true);
		server.registerInterceptor(requestLog);
		return server;
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServletRegistration(RestfulServer theServer) {
		ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(theServer, "/fhir/*");
		registration.setName("fhir");
		// Initialise at start-up, so that the first /fhir/metadata is answered by a ready server.
		registration.setLoadOnStartup(1);
		return registration;
	}
}
