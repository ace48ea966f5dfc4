#!/usr/bin/env perl
# workmesh port: the `extract-links` job type, in Perl with core modules only (JSON::PP).
#
# Speaks the port protocol (docs/ports.md): newline-delimited JSON on stdin and stdout.
# Input:  {"text": "<text or HTML>"}
# Value:  {"urls": [...], "emails": [...], "hosts": {"<host>": count}}   (first-seen order, unique)
use strict;
use warnings;
use JSON::PP;

my $TYPE = 'extract-links';
my $json = JSON::PP->new->utf8->canonical;
$| = 1;    # flush every line: the worker waits for it

sub send_message { print $json->encode($_[0]), "\n"; }

sub unique { my %seen; return grep { !$seen{$_}++ } @_; }

sub extract {
    my ($data) = @_;
    die { retryable => JSON::PP::false, message => 'data must be an object with a string `text`' }
      unless ref $data eq 'HASH' && defined $data->{text} && !ref $data->{text};
    my $text = $data->{text};
    my @urls = unique( $text =~ m{\b(https?://[^\s"'<>()\[\]]+[^\s"'<>()\[\].,;:!?])}gi );
    my @emails = unique( map { lc } $text =~ m{\b([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\b}g );
    my %hosts;
    for my $url (@urls) { $hosts{ lc $1 }++ if $url =~ m{^https?://([^/:?#]+)}i; }
    return { urls => \@urls, emails => \@emails, hosts => \%hosts };
}

send_message( { kind => 'hello', protocol => 1, types => [$TYPE], name => 'extract_links.pl' } );

while ( my $line = <STDIN> ) {    # ends when the worker closes stdin: then exit
    next unless $line =~ /\S/;
    my $job = $json->decode($line);
    my $id  = $job->{id};
    if ( ( $job->{type} // '' ) ne $TYPE ) {
        send_message( { kind => 'error', id => $id, message => "unknown job type $job->{type}", retryable => JSON::PP::false } );
        next;
    }
    my $value = eval { extract( $job->{data} ) };
    if ( my $err = $@ ) {
        my ( $message, $retryable ) =
          ref $err eq 'HASH' ? ( $err->{message}, $err->{retryable} ) : ( "$err", JSON::PP::true );
        chomp $message;
        send_message( { kind => 'error', id => $id, message => $message, retryable => $retryable } );
        next;
    }
    send_message( { kind => 'ok', id => $id, value => $value } );
}
